namespace Llambda.Models;

/// <summary>Receives one named intermediate tensor of a forward pass (see <see cref="ForwardBuffers.Trace"/>).</summary>
public delegate void TensorTrace(string name, ReadOnlySpan<float> values);

/// <summary>
/// Scratch memory for one forward pass of up to <see cref="MaxBatch"/> tokens. Owned by a session, so many
/// sessions can share one model; allocated once, reused for every token.
/// </summary>
public sealed class ForwardBuffers
{
    public ForwardBuffers(ModelConfig c, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        MaxBatch = maxBatch;
        int dim = c.EmbeddingLength;
        Hidden = new float[maxBatch * dim];
        Normed = new float[maxBatch * Math.Max(dim, c.HeadCount * c.ValueLength)];
        Query = new float[maxBatch * c.QueryWidth];
        Key = new float[maxBatch * c.KeyWidth];
        Value = new float[maxBatch * c.ValueWidth];
        Attention = new float[maxBatch * c.HeadCount * c.ValueLength];
        Projected = new float[maxBatch * dim];
        Gate = new float[maxBatch * c.FeedForwardLength];
        Up = new float[maxBatch * c.FeedForwardLength];
        RopeTables = new float[maxBatch * c.RopeDimensionCount];
    }

    public int MaxBatch { get; }

    /// <summary>
    /// Debugging aid (null in normal use): called with every intermediate tensor of a forward batch, named as in
    /// llama.cpp's graph (attn_norm-{layer}, Qcur-{layer} after RoPE, Kcur, Vcur, kqv_out, attn_out, ffn_inp,
    /// ffn_norm, ffn_gate, ffn_up, ffn_swiglu, ffn_out, l_out, result_norm, result_output), token-major like ggml's
    /// [ne0, n_tokens] layout, so a dump from llama.cpp's eval callback can be compared value for value (see
    /// bench/reference/README.md). The span is only valid during the call.
    /// </summary>
    public TensorTrace? Trace { get; set; }
    internal float[] Hidden { get; }
    internal float[] Normed { get; }
    internal float[] Query { get; }
    internal float[] Key { get; }
    internal float[] Value { get; }
    internal float[] Attention { get; }
    internal float[] Projected { get; }
    internal float[] Gate { get; }
    internal float[] Up { get; }
    internal float[] RopeTables { get; }
}
