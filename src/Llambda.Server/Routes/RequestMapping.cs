using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Llambda.Inference;
using Microsoft.AspNetCore.Http;

namespace Llambda.Server.Routes;

/// <summary>Checks and conversions both API families share: sampling values, stop strings, token limits, streaming output.</summary>
internal static class RequestMapping
{
    /// <summary>Appended to the last user message when a client asks for JSON output (see docs/server.md, "JSON mode").</summary>
    public const string JsonInstruction = "\n\nRespond with a single valid JSON object and nothing else.";

    public const int MaxStopStrings = 16;

    /// <summary>
    /// The instant generation must stop by, as Unix milliseconds: the Lambda runtime sends it on the requests it
    /// forwards, so an answer cut by the function's deadline still ends properly, with <c>finish_reason: "deadline"</c>.
    /// Any client may send it; it only shortens that client's own request.
    /// </summary>
    public const string DeadlineHeader = "X-Llambda-Deadline-Ms";

    /// <summary>The request's <see cref="DeadlineHeader"/>, or null without one.</summary>
    public static DateTimeOffset? Deadline(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(DeadlineHeader, out var values)) return null;
        string text = values.ToString();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            throw Bad($"The {DeadlineHeader} header must be a Unix time in milliseconds, got '{text}'.", DeadlineHeader);
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    /// <summary>Sampling values from a request; unset ones keep the engine's (llama.cpp's) defaults.</summary>
    public static SamplingOptions Sampling(
        string prefix, float? temperature, float? topP, int? topK, float? minP, float? repetitionPenalty,
        float? presencePenalty, float? frequencyPenalty, int? penaltyLastN, long? seed, bool openAiRanges)
    {
        var d = new SamplingOptions();
        if (temperature is float t && (!float.IsFinite(t) || t < 0 || (openAiRanges && t > 2)))
            throw Bad($"'{prefix}temperature' must be {(openAiRanges ? "between 0 and 2" : "0 or more")}, got {t}.", prefix + "temperature");
        if (topP is float p && !(p > 0 && p <= 1))
            throw Bad($"'{prefix}top_p' must be greater than 0 and at most 1, got {p}.", prefix + "top_p");
        if (topK is int k && k < 0)
            throw Bad($"'{prefix}top_k' must be 0 (off) or more, got {k}.", prefix + "top_k");
        if (minP is float m && !(m >= 0 && m <= 1))
            throw Bad($"'{prefix}min_p' must be between 0 and 1, got {m}.", prefix + "min_p");
        string repeatName = openAiRanges ? "repetition_penalty" : "repeat_penalty";
        if (repetitionPenalty is float r && !(r > 0 && float.IsFinite(r)))
            throw Bad($"'{prefix}{repeatName}' must be greater than 0, got {r}.", prefix + repeatName);
        CheckPenalty(prefix + "presence_penalty", presencePenalty, openAiRanges);
        CheckPenalty(prefix + "frequency_penalty", frequencyPenalty, openAiRanges);
        if (penaltyLastN is int n && n < -1)
            throw Bad($"'{prefix}repeat_last_n' must be -1 (whole context) or more, got {n}.", prefix + "repeat_last_n");

        return d with
        {
            Temperature = temperature ?? d.Temperature,
            TopP = topP ?? d.TopP,
            TopK = topK ?? d.TopK,
            MinP = minP ?? d.MinP,
            RepetitionPenalty = repetitionPenalty ?? d.RepetitionPenalty,
            PresencePenalty = presencePenalty ?? 0,
            FrequencyPenalty = frequencyPenalty ?? 0,
            PenaltyLastN = penaltyLastN ?? d.PenaltyLastN,
            // OpenAI's seed is a signed 64-bit integer; every value is a fine seed once reinterpreted.
            Seed = seed is long s ? unchecked((ulong)s) : null,
        };
    }

    private static void CheckPenalty(string name, float? value, bool openAiRanges)
    {
        if (value is not float v) return;
        if (!float.IsFinite(v) || (openAiRanges && (v < -2 || v > 2)))
            throw Bad($"'{name}' must be between -2 and 2, got {v}.", name);
    }

    /// <summary>OpenAI's <c>stop</c>: a string or an array of strings (null: none).</summary>
    public static List<string> StopStrings(JsonElement? stop, string param)
    {
        var list = new List<string>();
        if (stop is not JsonElement e || e.ValueKind == JsonValueKind.Null) return list;
        if (e.ValueKind == JsonValueKind.String)
        {
            list.Add(e.GetString()!);
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw Bad($"Invalid type for '{param}[{i}]': expected a string.", $"{param}[{i}]");
                list.Add(item.GetString()!);
                i++;
            }
        }
        else
        {
            throw Bad($"Invalid type for '{param}': expected a string or an array of strings.", param);
        }
        if (list.Count > MaxStopStrings)
            throw Bad($"'{param}' has {list.Count} entries; at most {MaxStopStrings} are allowed.", param);
        if (list.Any(s => s.Length == 0))
            throw Bad($"'{param}' must not contain empty strings.", param);
        return list;
    }

    /// <summary>
    /// Refuses a prompt that leaves no room to generate, with the numbers the client needs. A prompt needs at least
    /// one free position: the first token comes from the prompt's logits, later ones each take a cache position.
    /// </summary>
    public static void CheckPromptFits(int promptTokens, int contextLength, string param)
    {
        if (promptTokens == 0)
            throw Bad($"'{param}' is empty after tokenization; give some text.", param);
        if (promptTokens >= contextLength)
            throw Bad($"This model's context holds {contextLength} tokens, but the prompt is {promptTokens} tokens. " +
                      "Shorten the prompt or start the server with a larger --ctx.", param, "context_length_exceeded");
    }

    /// <summary>
    /// The token budget: what the client asked for (or the server default), clamped to what is left of the context.
    /// Clamping rather than refusing follows llama.cpp and Ollama: clients routinely send a large max_tokens, and a
    /// generation that reaches the end of the context stops with finish_reason "length", which says what happened.
    /// </summary>
    public static int MaxTokens(int? requested, string param, int promptTokens, int contextLength, int serverDefault)
    {
        if (requested is int r && r < 1)
            throw Bad($"'{param}' must be at least 1, got {r}.", param);
        int room = contextLength - promptTokens;
        return Math.Min(requested ?? serverDefault, room);
    }

    /// <summary>Parses the client's Ollama/OpenAI token ids, checking each is in the vocabulary.</summary>
    public static int[] TokenIds(JsonElement array, int vocabSize, string param)
    {
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
                throw Bad($"Invalid type for '{param}[{i}]': expected a token id (an integer).", $"{param}[{i}]");
            if (id < 0 || id >= vocabSize)
                throw Bad($"'{param}[{i}]' is token {id}, outside the vocabulary (0..{vocabSize - 1}).", $"{param}[{i}]");
            ids[i++] = id;
        }
        return ids;
    }

    /// <summary>A token's text for logprobs: its bytes as UTF-8 (a lone byte of a multi-byte character shows as U+FFFD; <c>bytes</c> has the truth).</summary>
    public static (string Text, int[] Bytes) TokenPiece(Llambda.Tokenizers.Tokenizer tokenizer, int id)
    {
        byte[] bytes = tokenizer.DecodeBytes([id]);
        var ints = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ints[i] = bytes[i];
        return (Encoding.UTF8.GetString(bytes), ints);
    }

    public static bool IsJsonObject(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text.Trim());
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static ApiException InvalidJsonOutput(string text) => new(500,
        "response_format json_object was requested but the model's output is not a JSON object (this server instructs the model and " +
        $"validates the result; it does not constrain sampling). The output began: {Truncate(text, 80)}",
        code: "invalid_json_output", type: "server_error");

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "…";

    public static ApiException Bad(string message, string? param = null, string? code = null) => ApiException.BadRequest(message, param, code);

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    // ----- streaming -----

    private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
    private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] s_newline = "\n"u8.ToArray();

    public static Task StartStreamAsync(HttpResponse response, string contentType)
    {
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        // Tell reverse proxies (nginx) not to hold tokens back.
        response.Headers["X-Accel-Buffering"] = "no";
        return response.StartAsync();
    }

    /// <summary>One server-sent event, <c>data: {json}\n\n</c>, flushed so the client sees it now.</summary>
    public static async Task WriteSseAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> info, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        writer.Write(s_dataPrefix);
        writer.Write(JsonSerializer.SerializeToUtf8Bytes(value, info));
        writer.Write(s_eventEnd);
        await writer.FlushAsync(ct);
    }

    public static async Task WriteSseDoneAsync(HttpResponse response, CancellationToken ct)
    {
        response.BodyWriter.Write(s_done);
        await response.BodyWriter.FlushAsync(ct);
    }

    /// <summary>One NDJSON line, flushed.</summary>
    public static async Task WriteLineAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> info, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        writer.Write(JsonSerializer.SerializeToUtf8Bytes(value, info));
        writer.Write(s_newline);
        await writer.FlushAsync(ct);
    }
}
