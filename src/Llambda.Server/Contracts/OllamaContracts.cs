using System.Text.Json;

namespace Llambda.Server.Contracts;

// Ollama's shapes (https://github.com/ollama/ollama/blob/main/docs/api.md). Durations are nanoseconds, times are
// RFC 3339 strings, streams are one JSON object per line.

public sealed class OllamaOptions
{
    public int? NumPredict { get; set; }
    public float? Temperature { get; set; }
    public int? TopK { get; set; }
    public float? TopP { get; set; }
    public float? MinP { get; set; }
    public long? Seed { get; set; }
    public JsonElement? Stop { get; set; }
    public float? RepeatPenalty { get; set; }
    public int? RepeatLastN { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public int? NumCtx { get; set; }
}

public sealed class OllamaGenerateRequest
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public string? Suffix { get; set; }
    public string? System { get; set; }
    public string? Template { get; set; }
    public bool? Raw { get; set; }
    public bool? Stream { get; set; }
    public JsonElement? Format { get; set; }
    public OllamaOptions? Options { get; set; }
    public List<int>? Context { get; set; }
    public List<string>? Images { get; set; }
    public JsonElement? KeepAlive { get; set; }
}

public sealed class OllamaChatRequest
{
    public string? Model { get; set; }
    public List<OllamaMessage?>? Messages { get; set; }
    public bool? Stream { get; set; }
    public JsonElement? Format { get; set; }
    public OllamaOptions? Options { get; set; }
    public List<JsonElement>? Tools { get; set; }
    public JsonElement? KeepAlive { get; set; }
}

public sealed class OllamaMessage
{
    public string? Role { get; set; }
    public string? Content { get; set; }
    public List<string>? Images { get; set; }
    public JsonElement? ToolCalls { get; set; }
}

public sealed class OllamaEmbedRequest
{
    public string? Model { get; set; }
    public JsonElement? Input { get; set; }
    public bool? Truncate { get; set; }
    public OllamaOptions? Options { get; set; }
    public JsonElement? KeepAlive { get; set; }
    public int? Dimensions { get; set; }
}

/// <summary>A line of <c>/api/generate</c>'s stream; the last one (done) carries the counts and timings.</summary>
public sealed class OllamaGenerateChunk
{
    public required string Model { get; set; }
    public required string CreatedAt { get; set; }
    public string Response { get; set; } = "";
    public bool Done { get; set; }
    public string? DoneReason { get; set; }
    public int[]? Context { get; set; }
    public long? TotalDuration { get; set; }
    public long? LoadDuration { get; set; }
    public int? PromptEvalCount { get; set; }
    public long? PromptEvalDuration { get; set; }
    public int? EvalCount { get; set; }
    public long? EvalDuration { get; set; }
}

public sealed class OllamaChatChunk
{
    public required string Model { get; set; }
    public required string CreatedAt { get; set; }
    public required OllamaMessageOut Message { get; set; }
    public bool Done { get; set; }
    public string? DoneReason { get; set; }
    public long? TotalDuration { get; set; }
    public long? LoadDuration { get; set; }
    public int? PromptEvalCount { get; set; }
    public long? PromptEvalDuration { get; set; }
    public int? EvalCount { get; set; }
    public long? EvalDuration { get; set; }
}

public sealed class OllamaMessageOut
{
    public string Role { get; set; } = "assistant";
    public string Content { get; set; } = "";
}

public sealed class OllamaEmbedResponse
{
    public required string Model { get; set; }
    public required List<float[]> Embeddings { get; set; }
    public long TotalDuration { get; set; }
    public long LoadDuration { get; set; }
    public int PromptEvalCount { get; set; }
}

public sealed class OllamaTags
{
    public required List<OllamaModel> Models { get; set; }
}

public sealed class OllamaModel
{
    public required string Name { get; set; }
    public required string Model { get; set; }
    public required string ModifiedAt { get; set; }
    public long Size { get; set; }
    public required string Digest { get; set; }
    public required OllamaModelDetails Details { get; set; }
}

public sealed class OllamaModelDetails
{
    public string ParentModel { get; set; } = "";
    public string Format { get; set; } = "gguf";
    public required string Family { get; set; }
    public required List<string> Families { get; set; }
    public required string ParameterSize { get; set; }
    public required string QuantizationLevel { get; set; }
}

public sealed class OllamaVersion
{
    public required string Version { get; set; }
}

public sealed class OllamaError
{
    public required string Error { get; set; }
}
