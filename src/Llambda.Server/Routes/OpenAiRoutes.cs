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
/// OpenAI's API: <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/embeddings</c>, <c>/v1/models</c>.
/// Each handler reads top-down: parse, validate (400 naming the field), tokenize, check the context, then generate
/// either into one JSON response or into server-sent events.
/// </summary>
internal static class OpenAiRoutes
{
    public static void MapOpenAiRoutes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", ChatCompletionsAsync);
        app.MapPost("/v1/completions", CompletionsAsync);
        app.MapPost("/v1/embeddings", EmbeddingsAsync);
        app.MapGet("/v1/models", ListModels);
        app.MapGet("/v1/models/{**id}", GetModel);
    }

    // ----- /v1/chat/completions -----

    private static async Task ChatCompletionsAsync(HttpContext context, ModelHost host, ServerOptions options)
    {
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.ChatCompletionRequest);
        ReadyModel ready = host.GetReady();
        ChatFormatter chat = ready.RequireChat();

        CheckSingleChoice(request.N);
        if (request.LogitBias is { Count: > 0 }) throw Bad("'logit_bias' is not supported by this server.", "logit_bias");
        bool stream = request.Stream ?? false;
        if (request.StreamOptions is not null && !stream)
            throw Bad("'stream_options' is only allowed when 'stream' is true.", "stream_options");
        bool jsonMode = JsonMode(request.ResponseFormat);
        int topLogprobs = TopLogprobs(request.Logprobs, request.TopLogprobs);

        List<ChatMessage> messages = ChatMessages(request.Messages);
        if (jsonMode) messages = WithJsonInstruction(messages);
        int[] prompt;
        try
        {
            prompt = chat.Format(messages, addGenerationPrompt: true, tools: request.Tools?.Select(t => (object?)t).ToList());
        }
        catch (Llambda.Templates.TemplateException e)
        {
            throw Bad("The chat template could not render these messages: " + e.Message, "messages", "template_error");
        }
        var scheduler = ready.Scheduler;
        CheckPromptFits(prompt.Length, scheduler.ContextLength, "messages");

        string maxParam = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        var generation = new GenerationOptions
        {
            MaxTokens = MaxTokens(request.MaxCompletionTokens ?? request.MaxTokens, maxParam, prompt.Length, scheduler.ContextLength, options.DefaultMaxTokens),
            Sampling = Sampling("", request.Temperature, request.TopP, request.TopK, request.MinP, request.RepetitionPenalty,
                request.PresencePenalty, request.FrequencyPenalty, null, request.Seed, openAiRanges: true),
            StopStrings = [.. StopStrings(request.Stop, "stop"), .. chat.StopStrings],
            IgnoreEndOfGeneration = request.IgnoreEos ?? false,
            TopLogprobs = topLogprobs,
            Deadline = Deadline(context),
        };

        CancellationToken ct = context.RequestAborted;
        GenerationStream run = await scheduler.GenerateAsync(prompt, generation, ct);
        string id = NewId("chatcmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tokenizer = ready.Model.Tokenizer;

        if (!stream)
        {
            var text = new StringBuilder();
            var logprobs = topLogprobs >= 0 ? new ChatLogprobs() : null;
            await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
            {
                text.Append(token.Text);
                logprobs?.Content.Add(ToLogprob(tokenizer, token));
            }
            GenerationResult result = await run.Result;
            text.Append(result.TrailingText);
            string content = text.ToString();
            if (jsonMode && !IsJsonObject(content)) throw InvalidJsonOutput(content);
            var response = new ChatCompletionResponse
            {
                Id = id,
                Created = created,
                Model = ready.Id,
                Choices = [new ChatChoice
                {
                    Message = new ChatResponseMessage { Content = content },
                    Logprobs = logprobs,
                    FinishReason = GenerationScheduler.FinishReasonName(result.FinishReason),
                }],
                Usage = ToUsage(result),
            };
            await context.Response.WriteAsJsonAsync(response, ServerJsonContext.Wire.ChatCompletionResponse, cancellationToken: ct);
            return;
        }

        // Streaming: a role chunk, one chunk per token, a closing chunk with finish_reason, usage if asked, [DONE].
        await StartStreamAsync(context.Response, "text/event-stream");
        var info = ServerJsonContext.Wire.ChatCompletionChunk;
        ChatCompletionChunk Chunk(ChatDelta delta, ChatLogprobs? lp = null, string? finish = null) => new()
        {
            Id = id,
            Created = created,
            Model = ready.Id,
            Choices = [new ChatChunkChoice { Delta = delta, Logprobs = lp, FinishReason = finish }],
        };

        await WriteSseAsync(context.Response, Chunk(new ChatDelta { Role = "assistant", Content = "" }), info, ct);
        var all = jsonMode ? new StringBuilder() : null;
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
        {
            // A token that completes no character yet (or may start a stop string) has no text to send.
            if (token.Text.Length == 0 && topLogprobs < 0) continue;
            all?.Append(token.Text);
            var lp = topLogprobs >= 0 ? new ChatLogprobs { Content = [ToLogprob(tokenizer, token)] } : null;
            await WriteSseAsync(context.Response, Chunk(new ChatDelta { Content = token.Text }, lp), info, ct);
        }
        GenerationResult final;
        try
        {
            final = await run.Result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteStreamErrorAsync(context, e, ct);
            return;
        }
        if (final.TrailingText.Length > 0)
        {
            all?.Append(final.TrailingText);
            await WriteSseAsync(context.Response, Chunk(new ChatDelta { Content = final.TrailingText }), info, ct);
        }
        await WriteSseAsync(context.Response, Chunk(new ChatDelta(), finish: GenerationScheduler.FinishReasonName(final.FinishReason)), info, ct);
        if (request.StreamOptions?.IncludeUsage == true)
            await WriteSseAsync(context.Response, new ChatCompletionChunk { Id = id, Created = created, Model = ready.Id, Choices = [], Usage = ToUsage(final) }, info, ct);
        if (all is not null && !IsJsonObject(all.ToString()))
            await WriteSseAsync(context.Response, ErrorHandling.ToBody(InvalidJsonOutput(all.ToString())), ServerJsonContext.Wire.ErrorResponse, ct);
        await WriteSseDoneAsync(context.Response, ct);
    }

    /// <summary>After the status line is sent an error can only travel in the stream: OpenAI's SDKs read an <c>error</c> event.</summary>
    private static async Task WriteStreamErrorAsync(HttpContext context, Exception e, CancellationToken ct)
    {
        var error = e as ApiException ?? (e is PromptTooLongException p
            ? Bad(p.Message, code: "context_length_exceeded")
            : new ApiException(500, "Generation failed with an internal error; it has been logged.", code: "internal_error"));
        if (e is not ApiException and not PromptTooLongException)
            Microsoft.Extensions.Logging.LoggerExtensions.LogError(
                context.RequestServices.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Llambda.Server.Generation"),
                e, "Generation failed mid-stream");
        await WriteSseAsync(context.Response, ErrorHandling.ToBody(error), ServerJsonContext.Wire.ErrorResponse, ct);
        await WriteSseDoneAsync(context.Response, ct);
    }

    private static List<ChatMessage> ChatMessages(List<ChatMessageDto?>? dtos)
    {
        if (dtos is null) throw Bad("'messages' is required.", "messages");
        if (dtos.Count == 0) throw Bad("'messages' must contain at least one message.", "messages");
        var messages = new List<ChatMessage>(dtos.Count);
        for (int i = 0; i < dtos.Count; i++)
        {
            string at = $"messages[{i}]";
            ChatMessageDto dto = dtos[i] ?? throw Bad($"'{at}' must be an object, not null.", at);
            string role = dto.Role switch
            {
                null => throw Bad($"'{at}.role' is required.", at + ".role"),
                "system" or "user" or "assistant" or "tool" => dto.Role,
                "developer" => "system", // OpenAI's newer name for the system role
                _ => throw Bad($"'{at}.role' must be one of system, developer, user, assistant, tool; got '{dto.Role}'.", at + ".role"),
            };
            string? content = MessageContent(dto.Content, at + ".content");
            if (content is null && role != "assistant")
                throw Bad($"'{at}.content' is required for role '{role}'.", at + ".content");

            Dictionary<string, object?>? extra = null;
            void Add(string key, object? value) => (extra ??= [])[key] = value;
            if (dto.Name is not null) Add("name", dto.Name);
            if (dto.ToolCalls is JsonElement calls && calls.ValueKind != JsonValueKind.Null) Add("tool_calls", calls);
            if (dto.ToolCallId is not null) Add("tool_call_id", dto.ToolCallId);
            messages.Add(new ChatMessage(role, content) { Extra = extra });
        }
        return messages;
    }

    /// <summary>A message's content: a string, or an array of text parts (joined). Images and audio are refused: text-only models.</summary>
    private static string? MessageContent(JsonElement? content, string param)
    {
        if (content is not JsonElement e || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind == JsonValueKind.String) return e.GetString();
        if (e.ValueKind != JsonValueKind.Array) throw Bad($"Invalid type for '{param}': expected a string or an array of content parts.", param);
        var text = new StringBuilder();
        int i = 0;
        foreach (JsonElement part in e.EnumerateArray())
        {
            string at = $"{param}[{i++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
                throw Bad($"'{at}' must be an object with a 'type'.", at);
            if (type.GetString() != "text")
                throw Bad($"'{at}.type' is '{type.GetString()}'; this server's models read text only, so only 'text' parts are supported.", at + ".type");
            if (!part.TryGetProperty("text", out JsonElement t) || t.ValueKind != JsonValueKind.String)
                throw Bad($"'{at}.text' must be a string.", at + ".text");
            text.Append(t.GetString());
        }
        return text.ToString();
    }

    private static List<ChatMessage> WithJsonInstruction(List<ChatMessage> messages)
    {
        int last = messages.FindLastIndex(m => m.Role == "user");
        if (last < 0) return [.. messages, new ChatMessage("user", JsonInstruction.TrimStart())];
        var copy = new List<ChatMessage>(messages);
        copy[last] = copy[last] with { Content = copy[last].Content + JsonInstruction };
        return copy;
    }

    private static bool JsonMode(ResponseFormat? format) => format?.Type switch
    {
        null or "text" => false,
        "json_object" => true,
        "json_schema" => throw Bad("response_format 'json_schema' is not supported; use 'json_object' (see docs/server.md).", "response_format.type"),
        _ => throw Bad($"'response_format.type' must be 'text' or 'json_object', got '{format.Type}'.", "response_format.type"),
    };

    private static int TopLogprobs(bool? logprobs, int? topLogprobs)
    {
        if (topLogprobs is int k)
        {
            if (logprobs != true) throw Bad("'top_logprobs' needs 'logprobs' set to true.", "top_logprobs");
            if (k is < 0 or > 20) throw Bad($"'top_logprobs' must be between 0 and 20, got {k}.", "top_logprobs");
            return k;
        }
        return logprobs == true ? 0 : -1;
    }

    private static void CheckSingleChoice(int? n)
    {
        if (n is int count && count != 1)
            throw Bad($"'n' must be 1: this server generates one choice per request (got {count}). Send parallel requests instead.", "n");
    }

    private static TokenLogprob ToLogprob(Llambda.Tokenizers.Tokenizer tokenizer, GeneratedToken token)
    {
        var (text, bytes) = TokenPiece(tokenizer, token.TokenId);
        var entry = new TokenLogprob { Token = text, Bytes = bytes, Logprob = token.Logprob ?? 0 };
        if (token.TopLogprobs is { } top)
        {
            foreach (var (id, lp) in top)
            {
                var (t, b) = TokenPiece(tokenizer, id);
                entry.TopLogprobs.Add(new TopLogprob { Token = t, Bytes = b, Logprob = lp });
            }
        }
        return entry;
    }

    private static Usage ToUsage(GenerationResult r) => new()
    {
        PromptTokens = r.PromptTokens,
        CompletionTokens = r.CompletionTokens,
        TotalTokens = r.PromptTokens + r.CompletionTokens,
    };

    // ----- /v1/completions -----

    private static async Task CompletionsAsync(HttpContext context, ModelHost host, ServerOptions options)
    {
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.CompletionRequest);
        ReadyModel ready = host.GetReady();
        var tokenizer = ready.Model.Tokenizer;

        CheckSingleChoice(request.N);
        if (request.BestOf is int bestOf && bestOf != 1) throw Bad($"'best_of' must be 1, got {bestOf}.", "best_of");
        if (request.Suffix is { Length: > 0 }) throw Bad("'suffix' (fill-in-the-middle) is not supported.", "suffix");
        if (request.LogitBias is { Count: > 0 }) throw Bad("'logit_bias' is not supported by this server.", "logit_bias");
        bool stream = request.Stream ?? false;
        if (request.StreamOptions is not null && !stream)
            throw Bad("'stream_options' is only allowed when 'stream' is true.", "stream_options");
        if (request.Logprobs is int lpCount && lpCount is < 0 or > 5) throw Bad($"'logprobs' must be between 0 and 5, got {lpCount}.", "logprobs");
        bool echo = request.Echo ?? false;
        if (echo && request.Logprobs is not null) throw Bad("'echo' with 'logprobs' (prompt log-probabilities) is not supported.", "echo");

        var (prompt, promptText) = CompletionPrompt(request.Prompt, tokenizer);
        var scheduler = ready.Scheduler;
        CheckPromptFits(prompt.Length, scheduler.ContextLength, "prompt");
        var generation = new GenerationOptions
        {
            MaxTokens = MaxTokens(request.MaxTokens, "max_tokens", prompt.Length, scheduler.ContextLength, options.DefaultMaxTokens),
            Sampling = Sampling("", request.Temperature, request.TopP, request.TopK, request.MinP, request.RepetitionPenalty,
                request.PresencePenalty, request.FrequencyPenalty, null, request.Seed, openAiRanges: true),
            StopStrings = StopStrings(request.Stop, "stop"),
            IgnoreEndOfGeneration = request.IgnoreEos ?? false,
            TopLogprobs = request.Logprobs ?? -1,
            Deadline = Deadline(context),
        };

        CancellationToken ct = context.RequestAborted;
        GenerationStream run = await scheduler.GenerateAsync(prompt, generation, ct);
        string id = NewId("cmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        if (!stream)
        {
            var text = new StringBuilder(echo ? promptText : "");
            CompletionLogprobs? logprobs = request.Logprobs is null ? null : new CompletionLogprobs();
            await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
            {
                if (logprobs is not null) AddLogprob(logprobs, tokenizer, token, text.Length);
                text.Append(token.Text);
            }
            GenerationResult result = await run.Result;
            text.Append(result.TrailingText);
            await context.Response.WriteAsJsonAsync(new CompletionResponse
            {
                Id = id,
                Created = created,
                Model = ready.Id,
                Choices = [new CompletionChoice { Text = text.ToString(), Logprobs = logprobs, FinishReason = GenerationScheduler.FinishReasonName(result.FinishReason) }],
                Usage = ToUsage(result),
            }, ServerJsonContext.Wire.CompletionResponse, cancellationToken: ct);
            return;
        }

        await StartStreamAsync(context.Response, "text/event-stream");
        var info = ServerJsonContext.Wire.CompletionResponse;
        CompletionResponse Chunk(string text, CompletionLogprobs? lp = null, string? finish = null) => new()
        {
            Id = id,
            Created = created,
            Model = ready.Id,
            Choices = [new CompletionChoice { Text = text, Logprobs = lp, FinishReason = finish }],
        };
        if (echo) await WriteSseAsync(context.Response, Chunk(promptText), info, ct);
        int offset = echo ? promptText.Length : 0;
        await foreach (GeneratedToken token in run.Tokens.ReadAllAsync(ct))
        {
            if (token.Text.Length == 0 && request.Logprobs is null) continue;
            CompletionLogprobs? lp = null;
            if (request.Logprobs is not null) AddLogprob(lp = new CompletionLogprobs(), tokenizer, token, offset);
            offset += token.Text.Length;
            await WriteSseAsync(context.Response, Chunk(token.Text, lp), info, ct);
        }
        GenerationResult final;
        try
        {
            final = await run.Result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteStreamErrorAsync(context, e, ct);
            return;
        }
        await WriteSseAsync(context.Response, Chunk(final.TrailingText, finish: GenerationScheduler.FinishReasonName(final.FinishReason)), info, ct);
        if (request.StreamOptions?.IncludeUsage == true)
            await WriteSseAsync(context.Response, new CompletionResponse { Id = id, Created = created, Model = ready.Id, Choices = [], Usage = ToUsage(final) }, info, ct);
        await WriteSseDoneAsync(context.Response, ct);
    }

    /// <summary>The legacy prompt: a string, a one-string array, token ids, or one array of token ids (batches are refused).</summary>
    private static (int[] Tokens, string Text) CompletionPrompt(JsonElement? prompt, Llambda.Tokenizers.Tokenizer tokenizer)
    {
        if (prompt is not JsonElement e || e.ValueKind == JsonValueKind.Null) throw Bad("'prompt' is required.", "prompt");
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return Encode(e.GetString()!);
            case JsonValueKind.Array when e.GetArrayLength() == 0:
                throw Bad("'prompt' must not be an empty array.", "prompt");
            case JsonValueKind.Array when e[0].ValueKind == JsonValueKind.Number:
                int[] ids = TokenIds(e, tokenizer.VocabSize, "prompt");
                return (ids, tokenizer.Decode(ids));
            case JsonValueKind.Array when e.GetArrayLength() > 1:
                throw Bad($"'prompt' holds {e.GetArrayLength()} prompts; this server takes one per request.", "prompt");
            case JsonValueKind.Array when e[0].ValueKind == JsonValueKind.String:
                return Encode(e[0].GetString()!);
            case JsonValueKind.Array when e[0].ValueKind == JsonValueKind.Array:
                int[] nested = TokenIds(e[0], tokenizer.VocabSize, "prompt[0]");
                return (nested, tokenizer.Decode(nested));
            default:
                throw Bad("Invalid type for 'prompt': expected a string, an array of strings or an array of token ids.", "prompt");
        }

        (int[], string) Encode(string text) => (tokenizer.Encode(text, addSpecial: true, parseSpecial: true), text);
    }

    private static void AddLogprob(CompletionLogprobs logprobs, Llambda.Tokenizers.Tokenizer tokenizer, GeneratedToken token, int offset)
    {
        logprobs.Tokens.Add(TokenPiece(tokenizer, token.TokenId).Text);
        logprobs.TokenLogprobs.Add(token.Logprob ?? 0);
        logprobs.TextOffset.Add(offset);
        var top = new Dictionary<string, float>();
        foreach (var (id, lp) in token.TopLogprobs ?? []) top.TryAdd(TokenPiece(tokenizer, id).Text, lp);
        logprobs.TopLogprobs.Add(top);
    }

    // ----- /v1/embeddings -----

    private static async Task EmbeddingsAsync(HttpContext context, ModelHost host)
    {
        var request = await ErrorHandling.ReadJsonAsync(context, ServerJsonContext.Wire.EmbeddingRequest);
        ReadyModel ready = host.GetReady();
        bool base64 = request.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw Bad($"'encoding_format' must be 'float' or 'base64', got '{request.EncodingFormat}'.", "encoding_format"),
        };
        int width = ready.Model.Config.EmbeddingLength;
        if (request.Dimensions is int dims && dims != width)
            throw Bad($"'dimensions' must be {width} for this model (vectors are not truncated), got {dims}.", "dimensions");

        List<int[]> inputs = EmbeddingInputs(request.Input, ready.Model.Tokenizer, "input");
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length > ready.Scheduler.ContextLength)
                throw Bad($"'input[{i}]' is {inputs[i].Length} tokens but the context holds {ready.Scheduler.ContextLength}.", $"input[{i}]", "context_length_exceeded");
        }

        float[][] vectors = await ready.Scheduler.EmbedAsync(inputs, context.RequestAborted);
        int tokens = inputs.Sum(t => t.Length);
        var data = new List<EmbeddingData>(vectors.Length);
        for (int i = 0; i < vectors.Length; i++)
        {
            JsonElement embedding = base64
                ? JsonSerializer.SerializeToElement(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[i].AsSpan())), ServerJsonContext.Wire.String)
                : JsonSerializer.SerializeToElement(vectors[i], ServerJsonContext.Wire.SingleArray);
            data.Add(new EmbeddingData { Index = i, Embedding = embedding });
        }
        await context.Response.WriteAsJsonAsync(new EmbeddingResponse
        {
            Data = data,
            Model = ready.Id,
            Usage = new EmbeddingUsage { PromptTokens = tokens, TotalTokens = tokens },
        }, ServerJsonContext.Wire.EmbeddingResponse, cancellationToken: context.RequestAborted);
    }

    /// <summary>OpenAI's <c>input</c>: a string, an array of strings, an array of token ids, or an array of those arrays.</summary>
    internal static List<int[]> EmbeddingInputs(JsonElement? input, Llambda.Tokenizers.Tokenizer tokenizer, string param)
    {
        const int MaxInputs = 2048;
        if (input is not JsonElement e || e.ValueKind == JsonValueKind.Null) throw Bad($"'{param}' is required.", param);
        if (e.ValueKind == JsonValueKind.String) return [EncodeInput(e.GetString()!, tokenizer, param)];
        if (e.ValueKind != JsonValueKind.Array)
            throw Bad($"Invalid type for '{param}': expected a string, an array of strings or an array of token ids.", param);
        int count = e.GetArrayLength();
        if (count == 0) throw Bad($"'{param}' must not be empty.", param);
        if (count > MaxInputs) throw Bad($"'{param}' has {count} entries; at most {MaxInputs} are allowed per request.", param);
        if (e[0].ValueKind == JsonValueKind.Number) return [CheckedIds(e, param)];

        var list = new List<int[]>(count);
        int i = 0;
        foreach (JsonElement item in e.EnumerateArray())
        {
            string at = $"{param}[{i++}]";
            list.Add(item.ValueKind switch
            {
                JsonValueKind.String => EncodeInput(item.GetString()!, tokenizer, at),
                JsonValueKind.Array => CheckedIds(item, at),
                _ => throw Bad($"Invalid type for '{at}': expected a string or an array of token ids.", at),
            });
        }
        return list;

        int[] CheckedIds(JsonElement array, string at)
        {
            if (array.GetArrayLength() == 0) throw Bad($"'{at}' must not be empty.", at);
            return TokenIds(array, tokenizer.VocabSize, at);
        }
    }

    private static int[] EncodeInput(string text, Llambda.Tokenizers.Tokenizer tokenizer, string param)
    {
        if (text.Length == 0) throw Bad($"'{param}' must not be an empty string.", param);
        return tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
    }

    // ----- /v1/models -----

    private static IResult ListModels(ModelHost host)
    {
        ReadyModel ready = host.GetReady();
        return Results.Json(new ModelList { Data = [Info(ready)] }, ServerJsonContext.Wire.ModelList);
    }

    private static IResult GetModel(string id, ModelHost host)
    {
        ReadyModel ready = host.GetReady();
        if (id != ready.Id) throw new ApiException(404, $"The model '{id}' does not exist; this server serves '{ready.Id}'.", "model", "model_not_found");
        return Results.Json(Info(ready), ServerJsonContext.Wire.ModelInfo);
    }

    private static ModelInfo Info(ReadyModel ready) => new() { Id = ready.Id, Created = ready.LoadedAt.ToUnixTimeSeconds() };
}
