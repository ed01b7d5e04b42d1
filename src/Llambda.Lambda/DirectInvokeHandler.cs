using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Llambda.Inference;
using Llambda.Lambda.Events;
using Llambda.Server;
using Llambda.Server.Scheduling;

namespace Llambda.Lambda;

/// <summary>
/// Answers a direct invocation (<see cref="DirectInvokeRequest"/>) with the loaded model: generation stops at the
/// deadline's stop instant and returns what it has, with <c>finish_reason: "deadline"</c>.
/// <list type="bullet">
/// <item>prompt, buffered: <c>{"text", "finish_reason", "model", "usage", "timings"}</c>;</item>
/// <item>prompt, streamed: one NDJSON line <c>{"text": "..."}</c> per token, then the buffered object with <c>"done": true</c>;</item>
/// <item>chat: OpenAI's <c>chat.completion</c>, or <c>chat.completion.chunk</c> SSE events ending in <c>data: [DONE]</c>.</item>
/// </list>
/// </summary>
internal sealed class DirectInvokeHandler(ReadyModel ready, LambdaOptions options)
{
    public const string NdjsonContentType = "application/x-ndjson";
    public const string SseContentType = "text/event-stream";

    /// <summary>Tokenizes and checks the request, so a bad one fails before any response is started.</summary>
    public (int[] Prompt, GenerationOptions Generation) Prepare(DirectInvokeRequest request, DateTimeOffset? stopAt)
    {
        int[] prompt;
        IReadOnlyList<string> stops = request.Stop;
        if (request.IsChat)
        {
            ChatFormatter chat = ready.Chat ?? throw new ArgumentException(ready.ChatError ?? "This model has no chat template; send a 'prompt' instead.");
            prompt = chat.Format(request.Messages!);
            stops = [.. stops, .. chat.StopStrings];
        }
        else
        {
            // Like `llambda generate -p`: BOS added, special tokens in the text honoured.
            prompt = ready.Model.Tokenizer.Encode(request.Prompt!, addSpecial: true, parseSpecial: true);
        }
        if (prompt.Length == 0) throw new ArgumentException("The prompt is empty and the model adds no BOS token; give a prompt.");
        int context = ready.Scheduler.ContextLength;
        if (prompt.Length >= context)
            throw new ArgumentException($"The prompt has {prompt.Length} tokens; the context holds {context} (set LLAMBDA_CTX for more).");

        int? max = request.MaxTokens ?? options.DefaultMaxTokens;
        return (prompt, new GenerationOptions
        {
            MaxTokens = max == int.MaxValue ? null : max,
            Sampling = request.Sampling,
            StopStrings = stops,
            IgnoreEndOfGeneration = request.IgnoreEos,
            Deadline = stopAt,
        });
    }

    /// <summary>Generates and returns the whole answer as JSON.</summary>
    public async Task<byte[]> RunBufferedAsync(DirectInvokeRequest request, int[] prompt, GenerationOptions generation, CancellationToken cancellation)
    {
        GenerationStream run = await ready.Scheduler.GenerateAsync(prompt, generation, cancellation).ConfigureAwait(false);
        var text = new StringBuilder();
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(cancellation).ConfigureAwait(false)) text.Append(token.Text);
        GenerationResult result = await run.Result.ConfigureAwait(false);
        text.Append(result.TrailingText);
        return request.IsChat
            ? Json(w => WriteChatCompletion(w, NewId(), text.ToString(), result))
            : Json(w => WritePromptResult(w, text.ToString(), result, done: false));
    }

    /// <summary>Generates and writes each token to <paramref name="writer"/> as it is made.</summary>
    public async Task RunStreamingAsync(DirectInvokeRequest request, int[] prompt, GenerationOptions generation, StreamingResponseWriter writer, CancellationToken cancellation)
    {
        GenerationStream run = await ready.Scheduler.GenerateAsync(prompt, generation, cancellation).ConfigureAwait(false);
        string id = NewId();
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.IsChat) await writer.WriteAsync(Sse(w => WriteChunk(w, id, created, role: "assistant", content: "", finish: null)), cancellation).ConfigureAwait(false);
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            if (token.Text.Length == 0) continue; // a character or a stop string still pending
            await writer.WriteAsync(request.IsChat
                ? Sse(w => WriteChunk(w, id, created, role: null, content: token.Text, finish: null))
                : Line(w => { w.WriteStartObject(); w.WriteString("text", token.Text); w.WriteEndObject(); }), cancellation).ConfigureAwait(false);
        }
        GenerationResult result = await run.Result.ConfigureAwait(false);
        if (request.IsChat)
        {
            if (result.TrailingText.Length > 0)
                await writer.WriteAsync(Sse(w => WriteChunk(w, id, created, null, result.TrailingText, null)), cancellation).ConfigureAwait(false);
            await writer.WriteAsync(Sse(w => WriteChunk(w, id, created, null, null, GenerationScheduler.FinishReasonName(result.FinishReason), result)), cancellation).ConfigureAwait(false);
            await writer.WriteAsync("data: [DONE]\n\n", cancellation).ConfigureAwait(false);
        }
        else
        {
            await writer.WriteAsync(Line(w => WritePromptResult(w, result.TrailingText, result, done: true)), cancellation).ConfigureAwait(false);
        }
    }

    private void WritePromptResult(Utf8JsonWriter w, string text, GenerationResult result, bool done)
    {
        w.WriteStartObject();
        w.WriteString("text", text);
        if (done) w.WriteBoolean("done", true);
        w.WriteString("finish_reason", GenerationScheduler.FinishReasonName(result.FinishReason));
        w.WriteString("model", ready.Id);
        WriteUsage(w, result);
        w.WriteStartObject("timings");
        w.WriteNumber("prompt_ms", Math.Round(result.PromptTime.TotalMilliseconds, 1));
        w.WriteNumber("generation_ms", Math.Round(result.GenerationTime.TotalMilliseconds, 1));
        w.WriteNumber("tokens_per_second", Math.Round(result.TokensPerSecond, 1));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteChatCompletion(Utf8JsonWriter w, string id, string text, GenerationResult result)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        w.WriteString("model", ready.Id);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", text);
        w.WriteEndObject();
        w.WriteString("finish_reason", GenerationScheduler.FinishReasonName(result.FinishReason));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, result);
        w.WriteEndObject();
    }

    private void WriteChunk(Utf8JsonWriter w, string id, long created, string? role, string? content, string? finish, GenerationResult? usage = null)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", created);
        w.WriteString("model", ready.Id);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role is not null) w.WriteString("role", role);
        if (content is not null) w.WriteString("content", content);
        w.WriteEndObject();
        if (finish is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        if (usage is not null) WriteUsage(w, usage);
        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, GenerationResult result)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", result.PromptTokens);
        w.WriteNumber("completion_tokens", result.CompletionTokens);
        w.WriteNumber("total_tokens", result.PromptTokens + result.CompletionTokens);
        w.WriteEndObject();
    }

    private static string NewId() => "chatcmpl-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Line(Action<Utf8JsonWriter> write) => [.. Json(write), (byte)'\n'];

    private static byte[] Sse(Action<Utf8JsonWriter> write) => [.. "data: "u8, .. Json(write), .. "\n\n"u8];
}
