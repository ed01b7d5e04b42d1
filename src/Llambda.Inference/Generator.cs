using System.Diagnostics;
using Llambda.Tokenizers;

namespace Llambda.Inference;

/// <summary>
/// The generation loop: evaluate the prompt (reusing the session's cached prefix), then sample, report and feed
/// back one token at a time until a stop condition. Tokens are reported as they are made, through a callback, so
/// the CLI, the HTTP server and the Lambda runtime can all stream them.
/// </summary>
public static class Generator
{
    public static GenerationResult Run(
        InferenceSession session,
        IReadOnlyList<int> prompt,
        GenerationOptions options,
        Action<GeneratedToken>? onToken = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        if (prompt.Count > session.ContextLength) throw new PromptTooLongException(prompt.Count, session.ContextLength);
        if (options.MaxTokens is < 0) throw new ArgumentException($"max tokens must be >= 0, got {options.MaxTokens}.");

        Tokenizer tokenizer = session.Model.Tokenizer;
        var sampler = new Sampler(options.Sampling, session.Model.Transformer.VocabSize);
        var decoder = tokenizer.CreateStreamingDecoder();
        var stops = new StopStringMatcher(options.StopStrings);

        var clock = Stopwatch.StartNew();
        // A cached prefix is reused; at least the last prompt token is always evaluated (its logits start generation).
        int evaluated = prompt.Count - Math.Min(CommonPrefix(session, prompt), prompt.Count - 1);
        session.EvaluatePrefixed(prompt.ToArray());
        TimeSpan promptTime = clock.Elapsed;

        clock.Restart();
        int produced = 0, decodeSteps = 0;
        FinishReason reason;
        int limit = Math.Min(options.MaxTokens ?? int.MaxValue, session.ContextLength - prompt.Count);
        while (true)
        {
            if (cancellation.IsCancellationRequested) { reason = FinishReason.Cancelled; break; }
            if (options.Deadline is { } deadline && DateTimeOffset.UtcNow >= deadline) { reason = FinishReason.Deadline; break; }
            if (produced >= limit)
            {
                reason = options.MaxTokens is int max && produced >= max ? FinishReason.Length : FinishReason.ContextFull;
                break;
            }

            ReadOnlySpan<float> logits = session.Logits;
            int token = sampler.Sample(logits, session.Tokens);
            float? logprob = null;
            IReadOnlyList<(int, float)>? top = null;
            if (options.TopLogprobs >= 0)
            {
                logprob = Sampler.LogProbability(logits, token);
                top = options.TopLogprobs > 0 ? TopLogprobs(logits, options.TopLogprobs) : [];
            }
            produced++;

            if (!options.IgnoreEndOfGeneration && tokenizer.IsEndOfGeneration(token))
            {
                reason = FinishReason.Stop;
                break;
            }

            var (text, stopped) = stops.Append(decoder.Append(token));
            onToken?.Invoke(new GeneratedToken(token, text, logprob, top));
            if (stopped) { reason = FinishReason.Stop; break; }

            // Feed the token back unless this was the last one we may produce.
            if (produced < limit)
            {
                session.Evaluate([token]);
                decodeSteps++;
            }
        }

        string trailing = reason == FinishReason.Stop && !stops.IsEmpty ? "" : stops.Append(decoder.Flush()).Released + stops.Flush();
        return new GenerationResult
        {
            FinishReason = reason,
            PromptTokens = prompt.Count,
            PromptTokensEvaluated = evaluated,
            CompletionTokens = produced,
            PromptTime = promptTime,
            GenerationTime = clock.Elapsed,
            DecodeSteps = decodeSteps,
            TrailingText = trailing,
        };
    }

    private static int CommonPrefix(InferenceSession session, IReadOnlyList<int> prompt)
    {
        int n = 0;
        while (n < session.Tokens.Count && n < prompt.Count && session.Tokens[n] == prompt[n]) n++;
        return n;
    }

    /// <summary>The <paramref name="count"/> most likely tokens with their log-probabilities.</summary>
    public static IReadOnlyList<(int TokenId, float Logprob)> TopLogprobs(ReadOnlySpan<float> logits, int count)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        float logSum = (float)Math.Log(sum) + max;
        var best = new List<(int, float)>(count + 1);
        for (int i = 0; i < logits.Length; i++)
        {
            if (best.Count == count && logits[i] <= best[^1].Item2) continue;
            float value = logits[i];
            int at = best.FindIndex(b => b.Item2 < value);
            best.Insert(at < 0 ? best.Count : at, (i, logits[i]));
            if (best.Count > count) best.RemoveAt(count);
        }
        return best.Select(b => (b.Item1, b.Item2 - logSum)).ToList();
    }
}
