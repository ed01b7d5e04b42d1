using System.Diagnostics;
using Llambda.Models;

namespace Llambda.Inference;

/// <summary>Options for <see cref="Perplexity.Compute"/>.</summary>
public sealed record PerplexityOptions
{
    /// <summary>Tokens per chunk (llama.cpp's <c>-c</c>). The text needs at least twice this many tokens.</summary>
    public int ContextLength { get; init; } = 512;

    /// <summary>Stop after this many chunks (llama.cpp's <c>--chunks</c>); 0 = every whole chunk.</summary>
    public int MaxChunks { get; init; }
}

/// <summary>The result of <see cref="Perplexity.Compute"/>.</summary>
/// <param name="Value">exp(mean negative log-likelihood) over the scored tokens.</param>
/// <param name="Uncertainty">llama.cpp's ± figure: the standard error of the mean NLL, scaled by the perplexity.</param>
/// <param name="Running">The estimate after each chunk (llama.cpp prints these as [1]x,[2]y,...).</param>
public sealed record PerplexityResult(double Value, double Uncertainty, int TextTokens, int Chunks, int ContextLength,
    int ScoredTokens, IReadOnlyList<double> Running, TimeSpan Elapsed)
{
    /// <summary>Tokens evaluated per second (every token of every chunk is run through the model).</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Chunks * (double)ContextLength / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Perplexity exactly as llama.cpp's <c>llama-perplexity</c> computes it, so the two figures can be compared:
/// <list type="number">
/// <item>tokenize the whole text (with BOS when the model adds one, special tokens not parsed);</item>
/// <item>cut it into floor(tokens / ctx) chunks of ctx tokens (the remainder is dropped);</item>
/// <item>evaluate each chunk from position 0 with its first token replaced by BOS (when the model adds BOS);</item>
/// <item>score only the second half: for j in [ctx/2, ctx-2], -log softmax(logits[j])[token j+1] (so every scored
/// token has seen at least ctx/2 tokens of context);</item>
/// <item>perplexity = exp(sum / count), accumulated in double precision.</item>
/// </list>
/// </summary>
public static class Perplexity
{
    public static PerplexityResult Compute(LoadedModel model, string text, PerplexityOptions? options = null,
        Action<int, double>? onChunk = null, CancellationToken cancellationToken = default)
    {
        options ??= new PerplexityOptions();
        int ctx = options.ContextLength;
        if (ctx < 4) throw new ArgumentException($"The context must be at least 4 tokens, got {ctx}.");
        if (ctx > model.Config.ContextLength)
            throw new ArgumentException($"A context of {ctx} tokens exceeds the model's trained context of {model.Config.ContextLength}.");

        int[] tokens = model.Tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
        if (tokens.Length < 2 * ctx)
            throw new ArgumentException(
                $"The text has {tokens.Length} tokens; perplexity with a context of {ctx} needs at least {2 * ctx} (two chunks). Give more text or a smaller --ctx.");
        int chunks = tokens.Length / ctx;
        if (options.MaxChunks > 0) chunks = Math.Min(chunks, options.MaxChunks);

        var transformer = model.Transformer;
        int vocab = transformer.VocabSize;
        int first = ctx / 2;
        int scoredPerChunk = ctx - 1 - first;
        var cache = new KvCache(model.Config, ctx);
        var buffers = new ForwardBuffers(model.Config, Math.Min(ctx, 512));
        // The first half is only context: run it for its keys and values and keep just its last logits.
        // The second half returns logits for every token, so memory is (ctx/2) × vocab floats, not ctx × vocab.
        var contextLogits = new float[vocab];
        var scoredLogits = new float[(ctx - first) * vocab];
        int? bos = model.Tokenizer.AddBos ? model.Tokenizer.Bos : null;

        var clock = Stopwatch.StartNew();
        double nll = 0, nll2 = 0;
        int count = 0;
        var running = new List<double>(chunks);
        var chunk = new int[ctx];
        for (int c = 0; c < chunks; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tokens.AsSpan(c * ctx, ctx).CopyTo(chunk);
            if (bos is int b) chunk[0] = b;

            transformer.Forward(chunk.AsSpan(0, first), 0, cache, buffers, contextLogits);
            transformer.Forward(chunk.AsSpan(first), first, cache, buffers, scoredLogits);

            for (int i = 0; i < scoredPerChunk; i++)
            {
                double v = -LogSoftmax(scoredLogits.AsSpan(i * vocab, vocab), chunk[first + i + 1]);
                nll += v;
                nll2 += v * v;
                count++;
            }
            double estimate = Math.Exp(nll / count);
            running.Add(estimate);
            onChunk?.Invoke(c + 1, estimate);
        }

        double mean = nll / count;
        double variance = nll2 / count - mean * mean;
        double uncertainty = count > 1 && variance > 0 ? Math.Sqrt(variance / (count - 1)) * Math.Exp(mean) : 0;
        return new PerplexityResult(Math.Exp(mean), uncertainty, tokens.Length, chunks, ctx, count, running, clock.Elapsed);
    }

    /// <summary>log softmax(logits)[token], with the max subtracted first and the sum in double (as llama.cpp does).</summary>
    private static double LogSoftmax(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        return logits[token] - max - Math.Log(sum);
    }
}
