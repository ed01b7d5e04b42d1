using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Llambda.Inference;
using Llambda.Server.Contracts;
using Llambda.Server.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Llambda.Server.Routes.RequestMapping;

namespace Llambda.Server.Routes;

/// <summary>
/// Ollama's API: <c>/api/generate</c>, <c>/api/chat</c> (streamed as NDJSON by default, as Ollama does), <c>/api/tags</c>,
/// <c>/api/embed</c>, <c>/api/version</c>. Errors use Ollama's <c>{"error":"..."}</c> shape.
/// </summary>
internal static class OllamaRoutes
{
    /// <summary>The Ollama API version we follow; clients print it, few check it.</summary>
    public const string ApiVersion = "0.6.0";

    public static void MapOllamaRoutes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/generate", GenerateAsync);
        app.MapPost("/api/chat", ChatAsync);
        app.MapPost("/api/embed", EmbedAsync);
        app.MapGet("/api/tags", Tags);
        app.MapGet("/api/version", () => Results.Json(new OllamaVersion { Version = ApiVersion }, ServerJsonContext.Wire.OllamaVersion));
    }

    private static async Task GenerateAsync(HttpContext context, ModelHost host, ServerOptions options)
    {
        long started = Stopwatch.GetTimestamp();
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.OllamaGenerateRequest);
        ReadyModel ready = host.GetReady();
        var tokenizer = ready.Model.Tokenizer;
        if (request.Images is { Count: > 0 }) throw Bad("'images' are not supported: this server's models read text only.", "images");
        if (request.Suffix is { Length: > 0 }) throw Bad("'suffix' (fill-in-the-middle) is not supported.", "suffix");
        if (request.Template is { Length: > 0 }) throw Bad("'template' overrides are not supported; the model's own chat template is used.", "template");
        bool jsonMode = JsonFormat(request.Format);

        // Ollama's way to load a model without generating: an empty prompt answers at once with done_reason "load".
        if (string.IsNullOrEmpty(request.Prompt) && request.Context is null)
        {
            await context.Response.WriteAsJsonAsync(new OllamaGenerateChunk
            {
                Model = ready.Id, CreatedAt = Now(), Done = true, DoneReason = "load",
            }, ServerJsonContext.Wire.OllamaGenerateChunk, cancellationToken: context.RequestAborted);
            return;
        }

        string text = request.Prompt ?? "";
        if (jsonMode) text += JsonInstruction;
        int[] prompt;
        if (request.Raw == true || ready.Chat is null)
        {
            prompt = tokenizer.Encode(text, addSpecial: request.Context is null, parseSpecial: true);
        }
        else
        {
            var messages = new List<ChatMessage>();
            if (!string.IsNullOrEmpty(request.System)) messages.Add(new ChatMessage("system", request.System));
            messages.Add(new ChatMessage("user", text));
            prompt = FormatChat(ready.Chat, messages, null);
        }
        // "context" is what a previous response returned: the conversation so far, continued by this prompt.
        if (request.Context is { Count: > 0 } previous)
        {
            for (int i = 0; i < previous.Count; i++)
                if (previous[i] < 0 || previous[i] >= tokenizer.VocabSize)
                    throw Bad($"'context[{i}]' is token {previous[i]}, outside the vocabulary (0..{tokenizer.VocabSize - 1}).", $"context[{i}]");
            prompt = [.. previous, .. prompt];
        }

        var (run, generation) = await StartAsync(context, ready, options, prompt, request.Options, jsonMode);
        string model = ready.Id;
        bool stream = request.Stream ?? true;
        CancellationToken ct = context.RequestAborted;
        var all = new StringBuilder();
        var produced = new List<int>();
        if (stream) await StartStreamAsync(context.Response, "application/x-ndjson");
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
        {
            produced.Add(token.TokenId);
            all.Append(token.Text);
            if (stream && token.Text.Length > 0)
                await WriteLineAsync(context.Response, new OllamaGenerateChunk { Model = model, CreatedAt = Now(), Response = token.Text }, ServerJsonContext.Wire.OllamaGenerateChunk, ct);
        }
        if (await CompleteAsync(context, run, all, stream, jsonMode, ct) is not GenerationResult result) return;

        var done = new OllamaGenerateChunk
        {
            Model = model,
            CreatedAt = Now(),
            Response = stream ? result.TrailingText : all.ToString(),
            Done = true,
            DoneReason = GenerationScheduler.FinishReasonName(result.FinishReason),
            Context = [.. prompt, .. produced],
            TotalDuration = Nanoseconds(Stopwatch.GetElapsedTime(started)),
            LoadDuration = 0,
            PromptEvalCount = result.PromptTokens,
            PromptEvalDuration = Nanoseconds(result.PromptTime),
            EvalCount = result.CompletionTokens,
            EvalDuration = Nanoseconds(result.GenerationTime),
        };
        if (stream) await WriteLineAsync(context.Response, done, ServerJsonContext.Wire.OllamaGenerateChunk, ct);
        else await context.Response.WriteAsJsonAsync(done, ServerJsonContext.Wire.OllamaGenerateChunk, cancellationToken: ct);
    }

    private static async Task ChatAsync(HttpContext context, ModelHost host, ServerOptions options)
    {
        long started = Stopwatch.GetTimestamp();
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.OllamaChatRequest);
        ReadyModel ready = host.GetReady();
        ChatFormatter chat = ready.RequireChat();
        bool jsonMode = JsonFormat(request.Format);

        if (request.Messages is null) throw Bad("'messages' is required.", "messages");
        if (request.Messages.Count == 0) throw Bad("'messages' must contain at least one message.", "messages");
        var messages = new List<ChatMessage>(request.Messages.Count);
        for (int i = 0; i < request.Messages.Count; i++)
        {
            string at = $"messages[{i}]";
            OllamaMessage m = request.Messages[i] ?? throw Bad($"'{at}' must be an object, not null.", at);
            if (m.Role is not ("system" or "user" or "assistant" or "tool"))
                throw Bad(m.Role is null ? $"'{at}.role' is required." : $"'{at}.role' must be one of system, user, assistant, tool; got '{m.Role}'.", at + ".role");
            if (m.Images is { Count: > 0 }) throw Bad($"'{at}.images' are not supported: this server's models read text only.", at + ".images");
            var extra = m.ToolCalls is JsonElement calls && calls.ValueKind != JsonValueKind.Null
                ? new Dictionary<string, object?> { ["tool_calls"] = calls }
                : null;
            messages.Add(new ChatMessage(m.Role, m.Content ?? "") { Extra = extra });
        }
        if (jsonMode)
        {
            int last = messages.FindLastIndex(m => m.Role == "user");
            if (last >= 0) messages[last] = messages[last] with { Content = messages[last].Content + JsonInstruction };
        }
        int[] prompt = FormatChat(chat, messages, request.Tools?.Select(t => (object?)t).ToList());

        var (run, _) = await StartAsync(context, ready, options, prompt, request.Options, jsonMode, chat.StopStrings);
        string model = ready.Id;
        bool stream = request.Stream ?? true;
        CancellationToken ct = context.RequestAborted;
        var all = new StringBuilder();
        if (stream) await StartStreamAsync(context.Response, "application/x-ndjson");
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
        {
            all.Append(token.Text);
            if (stream && token.Text.Length > 0)
                await WriteLineAsync(context.Response, new OllamaChatChunk { Model = model, CreatedAt = Now(), Message = new OllamaMessageOut { Content = token.Text } }, ServerJsonContext.Wire.OllamaChatChunk, ct);
        }
        if (await CompleteAsync(context, run, all, stream, jsonMode, ct) is not GenerationResult result) return;
        var done = new OllamaChatChunk
        {
            Model = model,
            CreatedAt = Now(),
            Message = new OllamaMessageOut { Content = stream ? result.TrailingText : all.ToString() },
            Done = true,
            DoneReason = GenerationScheduler.FinishReasonName(result.FinishReason),
            TotalDuration = Nanoseconds(Stopwatch.GetElapsedTime(started)),
            LoadDuration = 0,
            PromptEvalCount = result.PromptTokens,
            PromptEvalDuration = Nanoseconds(result.PromptTime),
            EvalCount = result.CompletionTokens,
            EvalDuration = Nanoseconds(result.GenerationTime),
        };
        if (stream) await WriteLineAsync(context.Response, done, ServerJsonContext.Wire.OllamaChatChunk, ct);
        else await context.Response.WriteAsJsonAsync(done, ServerJsonContext.Wire.OllamaChatChunk, cancellationToken: ct);
    }

    /// <summary>
    /// Waits for the end of a generation whose tokens were already relayed into <paramref name="all"/>, appends the
    /// trailing text and checks JSON mode. Returns null when the request has already been answered with an error
    /// line in the stream; a non-streamed failure throws (the error middleware answers it).
    /// </summary>
    private static async Task<GenerationResult?> CompleteAsync(HttpContext context, GenerationStream run, StringBuilder all, bool stream, bool jsonMode, CancellationToken ct)
    {
        GenerationResult result;
        try
        {
            result = await run.Result;
        }
        catch (Exception e) when (stream && e is not OperationCanceledException)
        {
            await WriteStreamErrorAsync(context, e, ct);
            return null;
        }
        all.Append(result.TrailingText);
        if (jsonMode && !IsJsonObject(all.ToString()))
        {
            var error = InvalidJsonOutput(all.ToString());
            if (!stream) throw error;
            await WriteLineAsync(context.Response, new OllamaError { Error = error.Message }, ServerJsonContext.Wire.OllamaError, ct);
            return null;
        }
        return result;
    }

    /// <summary>Validates Ollama's options, checks the prompt fits, and starts generating.</summary>
    private static async Task<(GenerationStream, GenerationOptions)> StartAsync(
        HttpContext context, ReadyModel ready, ServerOptions server, int[] prompt, OllamaOptions? o, bool jsonMode, IReadOnlyList<string>? extraStops = null)
    {
        var scheduler = ready.Scheduler;
        CheckPromptFits(prompt.Length, scheduler.ContextLength, "prompt");
        // num_predict: -1 is "until the context is full", -2 "fill the context"; both are the room that is left.
        int? requested = o?.NumPredict switch
        {
            null => null,
            < -2 => throw Bad($"'options.num_predict' must be -1, -2 or positive, got {o.NumPredict}.", "options.num_predict"),
            < 0 => int.MaxValue,
            0 => throw Bad("'options.num_predict' must be -1, -2 or positive, got 0.", "options.num_predict"),
            int n => n,
        };
        var generation = new GenerationOptions
        {
            MaxTokens = MaxTokens(requested, "options.num_predict", prompt.Length, scheduler.ContextLength, server.DefaultMaxTokens),
            Sampling = Sampling("options.", o?.Temperature, o?.TopP, o?.TopK, o?.MinP, o?.RepeatPenalty,
                o?.PresencePenalty, o?.FrequencyPenalty, o?.RepeatLastN, o?.Seed, openAiRanges: false),
            StopStrings = [.. StopStrings(o?.Stop, "options.stop"), .. extraStops ?? []],
            Deadline = Deadline(context),
        };
        return (await scheduler.GenerateAsync(prompt, generation, context.RequestAborted), generation);
    }

    private static async Task WriteStreamErrorAsync(HttpContext context, Exception e, CancellationToken ct)
    {
        string message = e switch
        {
            ApiException a => a.Message,
            PromptTooLongException p => p.Message,
            _ => "Generation failed with an internal error; it has been logged.",
        };
        await WriteLineAsync(context.Response, new OllamaError { Error = message }, ServerJsonContext.Wire.OllamaError, ct);
    }

    private static int[] FormatChat(ChatFormatter chat, List<ChatMessage> messages, IReadOnlyList<object?>? tools)
    {
        try
        {
            return chat.Format(messages, addGenerationPrompt: true, tools: tools);
        }
        catch (Llambda.Templates.TemplateException e)
        {
            throw Bad("The chat template could not render these messages: " + e.Message, "messages", "template_error");
        }
    }

    /// <summary>Ollama's <c>format</c>: "json", or a JSON schema (treated as "json": instructed and validated, not enforced).</summary>
    private static bool JsonFormat(JsonElement? format) => format switch
    {
        null => false,
        { ValueKind: JsonValueKind.Null } => false,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "" => false,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "json" => true,
        { ValueKind: JsonValueKind.Object } => true,
        _ => throw Bad("'format' must be \"json\" or a JSON schema object.", "format"),
    };

    private static async Task EmbedAsync(HttpContext context, ModelHost host)
    {
        long started = Stopwatch.GetTimestamp();
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.OllamaEmbedRequest);
        ReadyModel ready = host.GetReady();
        int width = ready.Model.Config.EmbeddingLength;
        if (request.Dimensions is int dims && dims != width)
            throw Bad($"'dimensions' must be {width} for this model, got {dims}.", "dimensions");
        List<int[]> inputs = OpenAiRoutes.EmbeddingInputs(request.Input, ready.Model.Tokenizer, "input");
        int context_ = ready.Scheduler.ContextLength;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length <= context_) continue;
            // Ollama truncates by default; with truncate=false an input over the context is an error.
            if (request.Truncate == false)
                throw Bad($"'input[{i}]' is {inputs[i].Length} tokens but the context holds {context_} (set truncate to true to cut it).", $"input[{i}]", "context_length_exceeded");
            inputs[i] = inputs[i][..context_];
        }
        float[][] vectors = await ready.Scheduler.EmbedAsync(inputs, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(new OllamaEmbedResponse
        {
            Model = ready.Id,
            Embeddings = [.. vectors],
            TotalDuration = Nanoseconds(Stopwatch.GetElapsedTime(started)),
            LoadDuration = 0,
            PromptEvalCount = inputs.Sum(t => t.Length),
        }, ServerJsonContext.Wire.OllamaEmbedResponse, cancellationToken: context.RequestAborted);
    }

    private static IResult Tags(ModelHost host)
    {
        ReadyModel ready = host.GetReady();
        var file = new FileInfo(ready.Model.Path);
        var summary = Llambda.Gguf.GgufModelSummary.FromFile(ready.Model.File);
        string quant = summary.TensorTypes.OrderByDescending(t => t.Bytes).Select(t => t.Type.ToString()).FirstOrDefault() ?? "unknown";
        // A real content hash would read the whole file (gigabytes) on every call; size and time identify a local file well enough.
        string digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            Encoding.UTF8.GetBytes($"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}")));
        var model = new OllamaModel
        {
            Name = ready.Id + ":latest",
            Model = ready.Id + ":latest",
            ModifiedAt = file.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK", CultureInfo.InvariantCulture),
            Size = file.Length,
            Digest = digest,
            Details = new OllamaModelDetails
            {
                Family = summary.Architecture,
                Families = [summary.Architecture],
                ParameterSize = ParameterSize(summary.ParameterCount),
                QuantizationLevel = quant,
            },
        };
        return Results.Json(new OllamaTags { Models = [model] }, ServerJsonContext.Wire.OllamaTags);
    }

    private static string ParameterSize(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        _ => (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "K",
    };

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static long Nanoseconds(TimeSpan t) => t.Ticks * 100;
}
