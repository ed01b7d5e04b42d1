using Llambda.Models;

namespace Llambda.Inference;

/// <summary>
/// One conversation's state: the tokens evaluated so far, their keys and values, and the logits of the last one.
/// Not thread-safe; the model it comes from is.
/// </summary>
public sealed class InferenceSession
{
    /// <summary>Tokens per forward batch during prefill: large enough to stream each weight once per batch.</summary>
    public const int PrefillBatch = 64;

    /// <summary>Context used when neither the caller nor a reasonable model default gives one.</summary>
    public const int DefaultContextLength = 4096;

    private readonly KvCache _cache;
    private readonly ForwardBuffers _buffers;
    private readonly float[] _logits;
    private readonly List<int> _tokens = [];

    internal InferenceSession(LoadedModel model, int contextLength)
    {
        Model = model;
        if (contextLength <= 0) contextLength = Math.Min(model.Config.ContextLength, DefaultContextLength);
        ContextLength = contextLength;
        _cache = new KvCache(model.Config, contextLength);
        _buffers = new ForwardBuffers(model.Config, PrefillBatch);
        _logits = new float[model.Transformer.VocabSize];
    }

    public LoadedModel Model { get; }
    public int ContextLength { get; }

    /// <summary>Tokens evaluated so far (their KV entries are in the cache).</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    public int Position => _tokens.Count;

    /// <summary>Logits after the last evaluated token (empty before any).</summary>
    public ReadOnlySpan<float> Logits => _tokens.Count == 0 ? default : _logits;

    public long KvCacheBytes => _cache.Bytes;

    /// <summary>Runs <paramref name="tokens"/> after what the session has seen; afterwards <see cref="Logits"/> predicts the next token.</summary>
    public void Evaluate(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) return;
        if (Position + tokens.Length > ContextLength)
            throw new PromptTooLongException(Position + tokens.Length, ContextLength);
        Model.Transformer.Forward(tokens, Position, _cache, _buffers, _logits);
        foreach (int t in tokens) _tokens.Add(t);
    }

    /// <summary>
    /// Makes the session hold exactly <paramref name="tokens"/>, reusing the longest common prefix already in the
    /// cache (a chat that grows by one turn only evaluates the new turn).
    /// </summary>
    public void EvaluatePrefixed(ReadOnlySpan<int> tokens)
    {
        int common = 0;
        while (common < _tokens.Count && common < tokens.Length && _tokens[common] == tokens[common]) common++;
        // Keep at least one token to evaluate so Logits belong to the full sequence.
        if (common == tokens.Length) common--;
        if (common < 0) common = 0;
        _tokens.RemoveRange(common, _tokens.Count - common);
        Evaluate(tokens[common..]);
    }

    /// <summary>
    /// A sentence embedding: the mean of the final hidden states (after the output norm) over all tokens,
    /// L2-normalised. Uses the session's cache as scratch, so the session is reset first.
    /// </summary>
    public float[] Embed(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length > ContextLength) throw new PromptTooLongException(tokens.Length, ContextLength);
        Reset();
        var pooled = new float[Model.Config.EmbeddingLength];
        Model.Transformer.Embed(tokens, _cache, _buffers, pooled);
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(pooled);
        if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(pooled, 1f / norm, pooled);
        return pooled;
    }

    /// <summary>Forgets everything (the cache is overwritten as new tokens arrive).</summary>
    public void Reset() => _tokens.Clear();
}
