using System.Text.Json;
using System.Text.Json.Serialization;

namespace Llambda.Server.Contracts;

// OpenAI's request and response shapes (https://platform.openai.com/docs/api-reference). Property names become
// snake_case through ServerJsonContext. Fields that accept several JSON types (stop, content, prompt, input) are
// JsonElement so the route can name the field when the value is wrong; everything else is typed, so a wrong type
// fails deserialization with a JSON path that ErrorHandling turns into "Invalid type for 'temperature'".

/// <summary>What chat completions and completions share: the model, streaming, the token limit, sampling and stops.</summary>
public abstract class GenerationRequest
{
    public string? Model { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public int? MaxTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public long? Seed { get; set; }
    public JsonElement? Stop { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public int? N { get; set; }
    public Dictionary<string, float>? LogitBias { get; set; }

    // Extensions that llama.cpp's and vLLM's servers also accept.
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public float? RepetitionPenalty { get; set; }
    public bool? IgnoreEos { get; set; }
}

public sealed class ChatCompletionRequest : GenerationRequest
{
    public List<ChatMessageDto?>? Messages { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public ResponseFormat? ResponseFormat { get; set; }
    public List<JsonElement>? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
}

public sealed class ChatMessageDto
{
    public string? Role { get; set; }
    public JsonElement? Content { get; set; }
    public string? Name { get; set; }
    public JsonElement? ToolCalls { get; set; }
    public string? ToolCallId { get; set; }
}

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}

public sealed class ResponseFormat
{
    public string? Type { get; set; }
    public JsonElement? JsonSchema { get; set; }
}

public sealed class CompletionRequest : GenerationRequest
{
    public JsonElement? Prompt { get; set; }
    public int? Logprobs { get; set; }
    public bool? Echo { get; set; }
    public int? BestOf { get; set; }
    public string? Suffix { get; set; }
}

public sealed class EmbeddingRequest
{
    public string? Model { get; set; }
    public JsonElement? Input { get; set; }
    public string? EncodingFormat { get; set; }
    public int? Dimensions { get; set; }
    public string? User { get; set; }
}

public sealed class Usage
{
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public int TotalTokens { get; set; }
}

public sealed class ChatCompletionResponse
{
    public required string Id { get; set; }
    public string Object { get; set; } = "chat.completion";
    public long Created { get; set; }
    public required string Model { get; set; }
    public required List<ChatChoice> Choices { get; set; }
    public Usage? Usage { get; set; }
}

public sealed class ChatChoice
{
    public int Index { get; set; }
    public required ChatResponseMessage Message { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; set; }
    public required string FinishReason { get; set; }
}

public sealed class ChatResponseMessage
{
    public string Role { get; set; } = "assistant";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Content { get; set; }
}

public sealed class ChatLogprobs
{
    public List<TokenLogprob> Content { get; set; } = [];
}

public sealed class TokenLogprob
{
    public required string Token { get; set; }
    public float Logprob { get; set; }
    public int[]? Bytes { get; set; }
    public List<TopLogprob> TopLogprobs { get; set; } = [];
}

public sealed class TopLogprob
{
    public required string Token { get; set; }
    public float Logprob { get; set; }
    public int[]? Bytes { get; set; }
}

public sealed class ChatCompletionChunk
{
    public required string Id { get; set; }
    public string Object { get; set; } = "chat.completion.chunk";
    public long Created { get; set; }
    public required string Model { get; set; }
    public required List<ChatChunkChoice> Choices { get; set; }
    public Usage? Usage { get; set; }
}

public sealed class ChatChunkChoice
{
    public int Index { get; set; }
    public required ChatDelta Delta { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; set; }
}

public sealed class ChatDelta
{
    public string? Role { get; set; }
    public string? Content { get; set; }
}

public sealed class CompletionResponse
{
    public required string Id { get; set; }
    public string Object { get; set; } = "text_completion";
    public long Created { get; set; }
    public required string Model { get; set; }
    public required List<CompletionChoice> Choices { get; set; }
    public Usage? Usage { get; set; }
}

public sealed class CompletionChoice
{
    public required string Text { get; set; }
    public int Index { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobs? Logprobs { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; set; }
}

/// <summary>The legacy completions' column layout: one list entry per token.</summary>
public sealed class CompletionLogprobs
{
    public List<string> Tokens { get; set; } = [];
    public List<float> TokenLogprobs { get; set; } = [];
    public List<Dictionary<string, float>> TopLogprobs { get; set; } = [];
    public List<int> TextOffset { get; set; } = [];
}

public sealed class EmbeddingResponse
{
    public string Object { get; set; } = "list";
    public required List<EmbeddingData> Data { get; set; }
    public required string Model { get; set; }
    public required EmbeddingUsage Usage { get; set; }
}

public sealed class EmbeddingData
{
    public string Object { get; set; } = "embedding";
    public int Index { get; set; }

    /// <summary>An array of floats, or a base64 string of little-endian float32 when <c>encoding_format</c> is base64.</summary>
    public JsonElement Embedding { get; set; }
}

public sealed class EmbeddingUsage
{
    public int PromptTokens { get; set; }
    public int TotalTokens { get; set; }
}

public sealed class ModelList
{
    public string Object { get; set; } = "list";
    public required List<ModelInfo> Data { get; set; }
}

public sealed class ModelInfo
{
    public required string Id { get; set; }
    public string Object { get; set; } = "model";
    public long Created { get; set; }
    public string OwnedBy { get; set; } = "llambda";
}

public sealed class ErrorResponse
{
    public required ErrorBody Error { get; set; }
}

public sealed class ErrorBody
{
    public required string Message { get; set; }
    public required string Type { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; set; }
}

public sealed class HealthResponse
{
    public required string Status { get; set; }
    public string? Model { get; set; }
    public string? Message { get; set; }
}
