using System.Globalization;
using System.Text.Json;
using Llambda.Inference;

namespace Llambda.Lambda.Events;

/// <summary>
/// A direct invocation's payload. Two shapes are accepted:
/// <list type="bullet">
/// <item>the prompt payload people already send to llama.cpp-on-Lambda functions: <c>{"prompt": "...", "n-generate": 64}</c>
/// (also <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>min_p</c>, <c>seed</c>, <c>stop</c>, <c>ignore_eos</c>, <c>stream</c>);</item>
/// <item>an OpenAI chat-completions body: <c>{"messages": [{"role": "user", "content": "..."}], ...}</c>, answered
/// with a <c>chat.completion</c> object.</item>
/// </list>
/// </summary>
public sealed record DirectInvokeRequest
{
    /// <summary>The text to continue (prompt shape), or null for a chat.</summary>
    public string? Prompt { get; init; }

    /// <summary>The conversation (chat shape), or null for a prompt.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Tokens to generate at most; null: the configured default.</summary>
    public int? MaxTokens { get; init; }

    public SamplingOptions Sampling { get; init; } = new();
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool IgnoreEos { get; init; }

    /// <summary>Stream the answer (through <c>InvokeWithResponseStream</c>): NDJSON for prompts, SSE chunks for chats.</summary>
    public bool Stream { get; init; }

    public bool IsChat => Messages is not null;

    /// <summary>Reads either shape; <see cref="ArgumentException"/> names the first field that is wrong.</summary>
    public static DirectInvokeRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"The event must be a JSON object such as {{\"prompt\": \"Once upon a time\", \"n-generate\": 64}}; got a {root.ValueKind.ToString().ToLowerInvariant()}.");

        string? prompt = null;
        List<ChatMessage>? messages = null;
        if (root.TryGetProperty("messages", out var m))
        {
            messages = ParseMessages(m);
        }
        else if (root.TryGetProperty("prompt", out var p))
        {
            prompt = p.ValueKind == JsonValueKind.String ? p.GetString() : throw new ArgumentException("'prompt' must be a string.");
        }
        else
        {
            throw new ArgumentException("The event has neither 'prompt' nor 'messages'. Send {\"prompt\": \"...\", \"n-generate\": 64}, an OpenAI chat body, or {\"warmup\": true}.");
        }

        int? max = Int(root, "n-generate") ?? Int(root, "n_predict") ?? Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (max is < -1) throw new ArgumentException($"The token limit must be -1 (no limit) or more, got {max}.");

        var sampling = new SamplingOptions();
        if (Float(root, "temperature") is float t) sampling = sampling with { Temperature = t };
        if (Float(root, "top_p") is float tp) sampling = sampling with { TopP = tp };
        if (Int(root, "top_k") is int tk) sampling = sampling with { TopK = tk };
        if (Float(root, "min_p") is float mp) sampling = sampling with { MinP = mp };
        if (Float(root, "repeat_penalty") is float rp) sampling = sampling with { RepetitionPenalty = rp };
        if (root.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number)
            sampling = sampling with { Seed = seed.TryGetUInt64(out ulong s) ? s : throw new ArgumentException("'seed' must be a non-negative integer.") };
        sampling.Validate();

        return new DirectInvokeRequest
        {
            Prompt = prompt,
            Messages = messages,
            MaxTokens = max == -1 ? int.MaxValue : max,
            Sampling = sampling,
            Stop = Stops(root),
            IgnoreEos = Bool(root, "ignore_eos"),
            Stream = Bool(root, "stream"),
        };
    }

    private static List<ChatMessage> ParseMessages(JsonElement m)
    {
        if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() == 0) throw new ArgumentException("'messages' must be a non-empty array.");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var message in m.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object) throw new ArgumentException($"'{at}' must be an object.");
            string role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new ArgumentException($"'{at}.role' must be a string.");
            string? content = null;
            if (message.TryGetProperty("content", out var c))
            {
                content = c.ValueKind switch
                {
                    JsonValueKind.String => c.GetString(),
                    JsonValueKind.Null => null,
                    // OpenAI's content parts: only text parts mean anything to a text model.
                    JsonValueKind.Array => string.Concat(c.EnumerateArray().Select(part =>
                        part.TryGetProperty("type", out var type) && type.GetString() == "text" && part.TryGetProperty("text", out var text)
                            ? text.GetString()
                            : throw new ArgumentException($"'{at}.content' may only hold text parts."))),
                    _ => throw new ArgumentException($"'{at}.content' must be a string or an array of text parts."),
                };
            }
            list.Add(new ChatMessage(role, content));
        }
        return list;
    }

    private static List<string> Stops(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return [];
        if (stop.ValueKind == JsonValueKind.String) return [stop.GetString()!];
        if (stop.ValueKind == JsonValueKind.Array && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))
            return stop.EnumerateArray().Select(s => s.GetString()!).Where(s => s.Length > 0).ToList();
        throw new ArgumentException("'stop' must be a string or an array of strings.");
    }

    private static int? Int(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        // People send "n-generate": "64" from shell scripts; accept numbers written as strings.
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)) return n;
        if (v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        throw new ArgumentException($"'{name}' must be an integer.");
    }

    private static float? Float(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetSingle();
        if (v.ValueKind == JsonValueKind.String && float.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out float f)) return f;
        throw new ArgumentException($"'{name}' must be a number.");
    }

    private static bool Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True
            || (v.ValueKind is not (JsonValueKind.False or JsonValueKind.Null) ? throw new ArgumentException($"'{name}' must be true or false.") : false));
}
