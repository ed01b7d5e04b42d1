using System.Text.Json;
using System.Text.Json.Serialization;

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

/// <summary>
/// A line of <c>/api/generate</c>'s or <c>/api/chat</c>'s stream; the last one (done) carries why it ended, the counts
/// and the timings (nanoseconds, as Ollama reports them).
/// </summary>
public abstract class OllamaChunk
{
    // Ollama's key order: model and time, then the subclass's text, then the end-of-stream fields.
    [JsonPropertyOrder(-2)] public required string Model { get; set; }
    [JsonPropertyOrder(-1)] public required string CreatedAt { get; set; }
    [JsonPropertyOrder(1)] public bool Done { get; set; }
    [JsonPropertyOrder(1)] public string? DoneReason { get; set; }
    [JsonPropertyOrder(2)] public long? TotalDuration { get; set; }
    [JsonPropertyOrder(2)] public long? LoadDuration { get; set; }
    [JsonPropertyOrder(2)] public int? PromptEvalCount { get; set; }
    [JsonPropertyOrder(2)] public long? PromptEvalDuration { get; set; }
    [JsonPropertyOrder(2)] public int? EvalCount { get; set; }
    [JsonPropertyOrder(2)] public long? EvalDuration { get; set; }
}

public sealed class OllamaGenerateChunk : OllamaChunk
{
    public string Response { get; set; } = "";
    [JsonPropertyOrder(2)] public int[]? Context { get; set; }
}

public sealed class OllamaChatChunk : OllamaChunk
{
    public required OllamaMessageOut Message { get; set; }
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
