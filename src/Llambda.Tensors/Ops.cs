using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        // ggml_compute_forward_rms_norm_f32: float squares summed one by one in double
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * x[i];
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

    /// <summary>
    /// out = silu(gate) * up, as ggml_vec_swiglu_f32 computes it on AVX2+FMA: 8 values at a time with ggml's
    /// polynomial expf (<see cref="GgmlExp"/>), x / (1 + exp(-x)) * g, the remainder with libm's expf.
    /// <paramref name="output"/> may alias <paramref name="gate"/> or <paramref name="up"/> (same start) but not overlap
    /// them otherwise.
    /// </summary>
    public static unsafe void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        int n = gate.Length;
        if (up.Length != n) throw new ArgumentException("gate and up differ in length.");
        CheckOut(n, output);
        output = output[..n];
        if ((Overlaps(gate, output) && !SameStart(gate, output)) || (Overlaps(up, output) && !SameStart(up, output)))
        {
            SwiGluScalar(gate, up, output);
            return;
        }
        int i = 0;
        fixed (float* g = gate)
        fixed (float* u = up)
        fixed (float* o = output)
        {
            if (KernelOptions.UseAvx2)
            {
                for (; i + 8 <= n; i += 8)
                {
                    Vector256<float> x = Avx.LoadVector256(g + i);
                    Vector256<float> e = GgmlExp(Avx.Subtract(Vector256<float>.Zero, x));
                    Vector256<float> silu = Avx.Divide(x, Avx.Add(Vector256.Create(1f), e));
                    Avx.Store(o + i, Avx.Multiply(silu, Avx.LoadVector256(u + i)));
                }
            }
            for (; i < n; i++)
            {
                float x = g[i];
                o[i] = x / (1.0f + MathF.Exp(-x)) * u[i];
            }
        }
    }

    /// <summary>
    /// ggml's ggml_v_expf for AVX2+FMA (ARM's optimized-routines expf: max error 1.45 + 0.5 ulp): the exact same
    /// operations, so the results match llama.cpp's CPU backend bit for bit (softmax and SiLU use it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GgmlExp(Vector256<float> x)
    {
        static Vector256<float> F(uint bits) => Vector256.Create(BitConverter.UInt32BitsToSingle(bits));
        Vector256<float> r = (F(0x4B400000));
        Vector256<float> z = Fma.MultiplyAdd(x, (F(0x3FB8AA3B)), r);
        Vector256<float> n = Avx.Subtract(z, r);
        Vector256<float> b = Fma.MultiplyAddNegated(n, (F(0x35BFBE8E)),
            Fma.MultiplyAddNegated(n, (F(0x3F317200)), x));
        Vector256<int> e = Avx2.ShiftLeftLogical(z.AsInt32(), 23);
        Vector256<float> k = Avx2.Add(e, Vector256.Create(1f).AsInt32()).AsSingle();
        Vector256<float> absN = Avx.AndNot(Vector256.Create(-0f), n);
        Vector256<float> c = Avx.CompareGreaterThan(absN, Vector256.Create(126f));
        Vector256<float> u = Avx.Multiply(b, b);
        Vector256<float> j = Fma.MultiplyAdd(
            Fma.MultiplyAdd(Fma.MultiplyAdd((F(0x3C072010)), b, (F(0x3D2B9F17))), u,
                Fma.MultiplyAdd((F(0x3E2AAF33)), b, (F(0x3EFFFEDB)))),
            u, Avx.Multiply((F(0x3F7FFFF6)), b));
        if (Avx.MoveMask(c) == 0) return Fma.MultiplyAdd(j, k, k);
        Vector256<int> g = Avx2.And(Avx.CompareLessThanOrEqual(n, Vector256<float>.Zero).AsInt32(), Vector256.Create(unchecked((int)0x82000000u)));
        Vector256<float> s1 = Avx2.Add(g, Vector256.Create(0x7f000000)).AsSingle();
        Vector256<float> s2 = Avx2.Subtract(e, g).AsSingle();
        Vector256<float> d = Avx.CompareGreaterThan(absN, Vector256.Create(192f));
        return Avx.Or(
            Avx.And(d, Avx.Multiply(s1, s1)),
            Avx.AndNot(d, Avx.Or(
                Avx.And(c, Avx.Multiply(Fma.MultiplyAdd(s2, j, s2), s1)),
                Avx.AndNot(c, Fma.MultiplyAdd(k, j, k)))));
    }

    /// <summary>
    /// ggml_vec_soft_max_f32 after the max is known: y = exp(x - max) (ggml's vector expf 8 at a time, libm's for the
    /// rest) and returns the sum, accumulated in double from the float sum of each group of 8 (hsum_float_8 order).
    /// </summary>
    public static unsafe double SoftmaxExp(float* x, float* y, int n, float max)
    {
        int i = 0;
        double sum = 0;
        if (KernelOptions.UseAvx2)
        {
            Vector256<float> vmax = Vector256.Create(max);
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> v = GgmlExp(Avx.Subtract(Avx.LoadVector256(x + i), vmax));
                Avx.Store(y + i, v);
                sum += Kernels.Avx2Helpers.HorizontalSum(v);
            }
        }
        for (; i < n; i++)
        {
            float v = MathF.Exp(x[i] - max);
            y[i] = v;
            sum += v;
        }
        return sum;
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
