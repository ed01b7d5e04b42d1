namespace Llambda.Models;

/// <summary>
/// Rotary position embedding with ggml's numerics: the angle for pair i at position p is built by repeated float
/// multiplication, theta_i = p * base^(-2i/d) (divided by a per-pair frequency factor when the model has them,
/// times the linear scaling factor), so our rotations match llama.cpp's to the last bit of the angle.
/// </summary>
public sealed class Rope
{
    private readonly ModelConfig _config;
    private readonly float[]? _frequencyFactors;
    private readonly float _thetaScale;

    public Rope(ModelConfig config, float[]? frequencyFactors)
    {
        _config = config;
        _frequencyFactors = frequencyFactors;
        _thetaScale = MathF.Pow(config.RopeFreqBase, -2.0f / config.RopeDimensionCount);
    }

    /// <summary>Width of one position's (cos, sin) table.</summary>
    public int TableWidth => _config.RopeDimensionCount;

    /// <summary>Fills <paramref name="table"/> with interleaved cos/sin for each rotated pair at <paramref name="position"/>.</summary>
    public void FillTable(int position, Span<float> table)
    {
        float theta = position;
        for (int i0 = 0; i0 < _config.RopeDimensionCount; i0 += 2)
        {
            float factor = _frequencyFactors?[i0 / 2] ?? 1.0f;
            float angle = _config.RopeFreqScale * (theta / factor);
            table[i0] = MathF.Cos(angle);
            table[i0 + 1] = MathF.Sin(angle);
            theta *= _thetaScale;
        }
    }

    /// <summary>
    /// Rotates every head of <paramref name="x"/> (heads of <paramref name="headDim"/> values) in place. ggml's
    /// rotate_pairs is plain C (x0*cos - x1*sin, x0*sin + x1*cos), but the AVX2 build compiles it with FMA contraction
    /// (the haswell libggml-cpu's disassembly: x1*sin and x1*cos rounded, then fused into x0*cos and x0*sin, in both
    /// its scalar and vectorised loops); one-ulp differences here flip activation quantization downstream.
    /// </summary>
    public void Apply(Span<float> x, int headDim, ReadOnlySpan<float> table)
    {
        int dims = _config.RopeDimensionCount;
        for (int h = 0; h + headDim <= x.Length; h += headDim)
        {
            Span<float> head = x.Slice(h, headDim);
            if (_config.RopeStyle == RopeStyle.Normal)
            {
                for (int i0 = 0; i0 < dims; i0 += 2)
                {
                    float cos = table[i0], sin = table[i0 + 1];
                    float x0 = head[i0], x1 = head[i0 + 1];
                    head[i0] = MathF.FusedMultiplyAdd(x0, cos, -(x1 * sin));
                    head[i0 + 1] = MathF.FusedMultiplyAdd(x0, sin, x1 * cos);
                }
            }
            else
            {
                int half = dims / 2;
                for (int i0 = 0; i0 < dims; i0 += 2)
                {
                    float cos = table[i0], sin = table[i0 + 1];
                    int ic = i0 / 2;
                    float x0 = head[ic], x1 = head[ic + half];
                    head[ic] = MathF.FusedMultiplyAdd(x0, cos, -(x1 * sin));
                    head[ic + half] = MathF.FusedMultiplyAdd(x0, sin, x1 * cos);
                }
            }
        }
    }
}
