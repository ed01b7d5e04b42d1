namespace Llambda.Models;

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
