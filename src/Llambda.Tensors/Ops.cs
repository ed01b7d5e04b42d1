using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Llambda.Tensors;

/// <summary>
/// Small f32 vector operations used by the model, with ggml's numerics (sums that ggml keeps in double are kept in
/// double here). Each has a vectorised path; the <c>*Scalar</c> twins are the plain references.
/// </summary>
public static class Ops
{
    /// <summary>
    /// ggml_rms_norm followed by the weight multiply: y = (x * (1/sqrtf(mean(x²) + eps))) * weight, where the sum of
    /// squares is accumulated in double. An empty <paramref name="weight"/> skips the multiply. y may alias x.
    /// </summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int n = x.Length;
        CheckOut(n, y);
        if (!weight.IsEmpty && weight.Length != n) throw new ArgumentException("Weight length differs from x.", nameof(weight));
        double sum = SumOfSquaresDouble(x);
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        TensorPrimitives.Multiply(x, scale, y[..n]);
        if (!weight.IsEmpty) TensorPrimitives.Multiply(y[..n], weight, y[..n]);
    }

    public static void RmsNormScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int n = x.Length;
        CheckOut(n, y);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * x[i];
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        for (int i = 0; i < n; i++)
        {
            float v = x[i] * scale;
            y[i] = weight.IsEmpty ? v : v * weight[i];
        }
    }

    private static double SumOfSquaresDouble(ReadOnlySpan<float> x)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
            ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref r, (nuint)i);
                Vector256<float> sq = v * v; // product in float, like ggml
                a0 += Vector256.WidenLower(sq);
                a1 += Vector256.WidenUpper(sq);
            }
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < x.Length; i++) sum += x[i] * x[i];
        return sum;
    }

    /// <summary>In-place softmax: exp(x - max) with the sum in double, then scaled by (float)(1/sum).</summary>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        double sum = SumDouble(x);
        TensorPrimitives.Multiply(x, (float)(1.0 / sum), x);
    }

    public static void SoftmaxScalar(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (float v in x) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float s = (float)(1.0 / sum);
        for (int i = 0; i < x.Length; i++) x[i] *= s;
    }

    private static double SumDouble(ReadOnlySpan<float> x)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
            ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref r, (nuint)i);
                a0 += Vector256.WidenLower(v);
                a1 += Vector256.WidenUpper(v);
            }
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>y = x / (1 + exp(-x)) (ggml_silu_f32). y may alias x.</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckOut(x.Length, y);
        y = y[..x.Length];
        if (Overlaps(x, y) && !SameStart(x, y))
        {
            SiluScalar(x, y);
            return;
        }
        if (SameStart(x, y))
        {
            for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1.0f + MathF.Exp(-x[i]));
            return;
        }
        TensorPrimitives.Negate(x, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Add(y, 1.0f, y);
        TensorPrimitives.Divide(x, y, y);
    }

    public static void SiluScalar(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1.0f + MathF.Exp(-x[i]));
    }

    /// <summary>out = silu(gate) * up (ggml_swiglu). <paramref name="output"/> may alias <paramref name="up"/> but not <paramref name="gate"/> unless identical.</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        int n = gate.Length;
        if (up.Length != n) throw new ArgumentException("gate and up differ in length.");
        CheckOut(n, output);
        output = output[..n];
        if (Overlaps(gate, output) || Overlaps(up, output) && !SameStart(up, output))
        {
            SwiGluScalar(gate, up, output);
            return;
        }
        // output does not overlap gate; it may be up itself
        Span<float> tmp = output;
        if (SameStart(up, output))
        {
            // need a temporary for exp(-gate): compute chunk by chunk on the stack
            Span<float> buf = stackalloc float[256];
            for (int i = 0; i < n; i += 256)
            {
                int len = Math.Min(256, n - i);
                var g = gate.Slice(i, len);
                var b = buf[..len];
                TensorPrimitives.Negate(g, b);
                TensorPrimitives.Exp(b, b);
                TensorPrimitives.Add(b, 1.0f, b);
                TensorPrimitives.Divide(g, b, b);
                TensorPrimitives.Multiply(b, up.Slice(i, len), output.Slice(i, len));
            }
            return;
        }
        TensorPrimitives.Negate(gate, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        TensorPrimitives.Add(tmp, 1.0f, tmp);
        TensorPrimitives.Divide(gate, tmp, tmp);
        TensorPrimitives.Multiply(tmp, up, output);
    }

    public static void SwiGluScalar(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            output[i] = g / (1.0f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>y = a + b elementwise (y may alias either).</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <summary>y = a * b elementwise (y may alias either).</summary>
    public static void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);

    /// <summary>x *= s in place.</summary>
    public static void Scale(Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);

    /// <summary>y = x * s.</summary>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> y) => TensorPrimitives.Multiply(x, s, y);

    /// <summary>f32 dot product (float accumulation, vectorised).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("Lengths differ.");
        return TensorPrimitives.Dot(a, b);
    }

    public static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return (float)s;
    }

    private static void CheckOut(int n, Span<float> y)
    {
        if (y.Length < n) throw new ArgumentException($"Output holds {y.Length} values, {n} needed.", nameof(y));
    }

    private static bool Overlaps(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => a.Overlaps(b);

    private static bool SameStart(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b));
}
