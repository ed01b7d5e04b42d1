namespace Llambda.Models;

/// <summary>
/// Keys and values of every position seen so far, per layer, in f32 (as the reference runs: exact, and no
/// conversion on the hot path). Row <c>p</c> of a layer's key array is the KV-head-major key vector of position p.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    public KvCache(ModelConfig config, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        KeyWidth = config.KeyWidth;
        ValueWidth = config.ValueWidth;
        _keys = new float[config.LayerCount][];
        _values = new float[config.LayerCount][];
        for (int l = 0; l < config.LayerCount; l++)
        {
            _keys[l] = new float[(long)capacity * KeyWidth];
            _values[l] = new float[(long)capacity * ValueWidth];
        }
    }

    /// <summary>Positions the cache can hold (the session's context length).</summary>
    public int Capacity { get; }

    public int KeyWidth { get; }
    public int ValueWidth { get; }

    /// <summary>Bytes held by the cache.</summary>
    public long Bytes => (long)_keys.Length * Capacity * (KeyWidth + ValueWidth) * sizeof(float);

    public float[] Keys(int layer) => _keys[layer];
    public float[] Values(int layer) => _values[layer];
}
