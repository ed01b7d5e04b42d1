using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>
/// The f32 pieces of attention with llama.cpp's CPU numerics (non-flash path, f32 KV cache), bit for bit on AVX2+FMA:
/// <list type="bullet">
/// <item>q·k: ggml_vec_dot_f32 (KQ is never served by llamafile's sgemm: a batch's permuted q is not contiguous and a
/// single token is a matrix-vector product, which sgemm declines).</item>
/// <item>softmax: ggml_soft_max (scale, max, ggml's vector expf with per-8 float sums added in double, 1/sum).</item>
/// <item>weights·V: for a batch of two or more tokens llamafile's tinyBLAS (one 8-lane FMA chain over positions, then
/// hsum); for one token ggml_vec_dot_f32 over the positions.</item>
/// </list>
/// The KV length llama.cpp runs over is padded (to a multiple of 32 or 256) with masked positions whose weight is
/// exactly 0; they add nothing to any lane, so only the real positions are visited here.
/// </summary>
public static unsafe class AttentionKernels
{
    private static bool UseAvx2 => KernelOptions.UseAvx2;

    /// <summary>ggml_vec_dot_f32 (see <see cref="Avx2Dot.F32"/>); the portable kernels sum in their own order.</summary>
    public static float DotF32(float* x, float* y, int n)
    {
        if (KernelOptions.UsePortable) return PortableDot.F32(x, y, n);
        if (!UseAvx2)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += x[i] * y[i];
            return (float)s;
        }
        return Avx2Dot.F32(x, y, n);
    }

    /// <summary>
    /// scores[p] = <see cref="DotF32"/>(keys + p·keyStride, q, n) for every p &lt; positions, bit for bit. On AVX2, with n a
    /// multiple of 32 (head sizes 64 and 128), eight positions go together and their eight horizontal sums are done
    /// as one transposed reduction with the same pairings: at such head sizes a lone dot spends more instructions
    /// reducing its lanes than multiplying.
    /// </summary>
    public static void Scores(float* keys, long keyStride, float* q, int n, int positions, float* scores)
    {
        int p = 0;
        if (UseAvx2 && n % 32 == 0)
            for (; p + 8 <= positions; p += 8) Avx2Scores8(keys + p * keyStride, keyStride, q, n, scores + p);
        for (; p < positions; p++) scores[p] = DotF32(keys + p * keyStride, q, n);
    }

    private static void Avx2Scores8(float* k, long stride, float* q, int n, float* scores)
    {
        // the keys are cached, not streamed from memory: no prefetch
        Vector256<float> s0 = Avx2Dot.F32Lanes(k, q, n, prefetch: false);
        Vector256<float> s1 = Avx2Dot.F32Lanes(k + stride, q, n, prefetch: false);
        Vector256<float> s2 = Avx2Dot.F32Lanes(k + 2 * stride, q, n, prefetch: false);
        Vector256<float> s3 = Avx2Dot.F32Lanes(k + 3 * stride, q, n, prefetch: false);
        Vector256<float> s4 = Avx2Dot.F32Lanes(k + 4 * stride, q, n, prefetch: false);
        Vector256<float> s5 = Avx2Dot.F32Lanes(k + 5 * stride, q, n, prefetch: false);
        Vector256<float> s6 = Avx2Dot.F32Lanes(k + 6 * stride, q, n, prefetch: false);
        Vector256<float> s7 = Avx2Dot.F32Lanes(k + 7 * stride, q, n, prefetch: false);
        // ReduceLanes for all eight: u = lo + hi (lane i + lane i+4), two of them per register...
        Vector256<float> u01 = Avx.Add(Avx.Permute2x128(s0, s1, 0x20), Avx.Permute2x128(s0, s1, 0x31));
        Vector256<float> u23 = Avx.Add(Avx.Permute2x128(s2, s3, 0x20), Avx.Permute2x128(s2, s3, 0x31));
        Vector256<float> u45 = Avx.Add(Avx.Permute2x128(s4, s5, 0x20), Avx.Permute2x128(s4, s5, 0x31));
        Vector256<float> u67 = Avx.Add(Avx.Permute2x128(s6, s7, 0x20), Avx.Permute2x128(s6, s7, 0x31));
        // ...then (u0+u1, u2+u3) and their sum, as its two hadds: lanes come out as 0 2 4 6 | 1 3 5 7
        Vector256<float> r = Avx.HorizontalAdd(Avx.HorizontalAdd(u01, u23), Avx.HorizontalAdd(u45, u67));
        Avx.Store(scores, Avx2.PermuteVar8x32(r, Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)));
    }

    /// <summary>GGML_F32x8_REDUCE: x0+x2, x1+x3, then their sum, then the 8 lanes by (lo+hi) and two hadds.</summary>
    internal static float ReduceF32x8(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3) =>
        ReduceLanes(Avx.Add(Avx.Add(s0, s2), Avx.Add(s1, s3)));

    /// <summary>GGML_F32x8_REDUCE's last steps: the 8 lanes by (lo+hi), then two hadds.</summary>
    internal static float ReduceLanes(Vector256<float> s)
    {
        Vector128<float> t0 = Sse.Add(s.GetLower(), s.GetUpper());
        Vector128<float> t1 = Sse3.HorizontalAdd(t0, t0);
        return Sse3.HorizontalAdd(t1, t1).ToScalar();
    }

    /// <summary>
    /// In-place softmax of one row of <paramref name="n"/> raw scores, as ggml_soft_max_ext with no mask bias:
    /// x*scale, max, exp(x - max) (ggml's vector expf in groups of 8; masked padding of the last group contributes
    /// exact zeros), sum in double, then times (float)(1/sum). <paramref name="x"/> must have room for n rounded up to 8.
    /// </summary>
    public static void Softmax(float* x, int n, float scale)
    {
        if (n <= 0) return;
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            float v = x[i] * scale;
            x[i] = v;
            max = MathF.Max(max, v);
        }
        int padded = UseAvx2 ? (n + 7) & ~7 : n;
        for (int i = n; i < padded; i++) x[i] = float.NegativeInfinity; // masked: exp gives exactly 0
        double sum = Ops.SoftmaxExp(x, x, padded, max);
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < n; i++) x[i] *= inv;
    }

    /// <summary>
    /// output[d] = Σ_p weights[p] · values[p*stride + d] for d &lt; len, in the order llama.cpp's mul_mat(V, KQ) uses:
    /// <paramref name="batchOrder"/> true = tinyBLAS (ubatch of 2+ tokens), false = ggml_vec_dot_f32 (one token).
    /// </summary>
    public static void WeightedSum(float* weights, float* values, int stride, int positions, float* output, int len, bool batchOrder)
    {
        if (!UseAvx2)
        {
            for (int d = 0; d < len; d++)
            {
                double s = 0;
                for (int p = 0; p < positions; p++) s += weights[p] * values[(long)p * stride + d];
                output[d] = (float)s;
            }
            return;
        }
        if (len % 8 != 0)
        {
            WeightedSumLanes(weights, values, stride, positions, output, len, batchOrder);
            return;
        }
        int slots = batchOrder ? 8 : 32;
        // acc[slot][d]: slot = p % 8 (tinyBLAS lane) or p % 32 (vec_dot_f32 accumulator j = slot / 8, lane slot % 8)
        float* acc = stackalloc float[slots * len];
        new Span<float>(acc, slots * len).Clear();
        Vector256<float>* x = stackalloc Vector256<float>[8]; // reduction scratch, allocated once (not per output)
        for (int p = 0; p < positions; p++)
        {
            float* a = acc + (p & (slots - 1)) * len;
            float* v = values + (long)p * stride;
            Vector256<float> w = Vector256.Create(weights[p]);
            for (int d = 0; d < len; d += 8)
                Avx.Store(a + d, Fma.MultiplyAdd(Avx.LoadVector256(v + d), w, Avx.LoadVector256(a + d)));
        }
        for (int d = 0; d < len; d += 8)
        {
            // lanes l of one output live in acc[l*len + d] (vectorised over 8 outputs at once)
            if (batchOrder)
            {
                // hsum_float_8: (l+4 + l) for l<4, then (0+2, 1+3), then (0) + (1)
                Vector256<float> r0 = Avx.Add(Lane(acc, 4, len, d), Lane(acc, 0, len, d));
                Vector256<float> r1 = Avx.Add(Lane(acc, 5, len, d), Lane(acc, 1, len, d));
                Vector256<float> r2 = Avx.Add(Lane(acc, 6, len, d), Lane(acc, 2, len, d));
                Vector256<float> r3 = Avx.Add(Lane(acc, 7, len, d), Lane(acc, 3, len, d));
                Avx.Store(output + d, Avx.Add(Avx.Add(r0, r2), Avx.Add(r1, r3)));
            }
            else
            {
                // GGML_F32x8_REDUCE over accumulators j = 0..3 (slot = 8j + lane)
                for (int l = 0; l < 8; l++)
                {
                    Vector256<float> x0 = Lane(acc, l, len, d), x1 = Lane(acc, 8 + l, len, d);
                    Vector256<float> x2 = Lane(acc, 16 + l, len, d), x3 = Lane(acc, 24 + l, len, d);
                    x[l] = Avx.Add(Avx.Add(x0, x2), Avx.Add(x1, x3));
                }
                // t0[i] = lane i + lane i+4; t1 = (t0[0]+t0[1], t0[2]+t0[3]); result t1[0] + t1[1]
                Vector256<float> t00 = Avx.Add(x[0], x[4]), t01 = Avx.Add(x[1], x[5]);
                Vector256<float> t02 = Avx.Add(x[2], x[6]), t03 = Avx.Add(x[3], x[7]);
                Avx.Store(output + d, Avx.Add(Avx.Add(t00, t01), Avx.Add(t02, t03)));
            }
        }
    }

    /// <summary>The same lane structure as <see cref="WeightedSum"/>, one output at a time (any length).</summary>
    private static void WeightedSumLanes(float* weights, float* values, int stride, int positions, float* output, int len, bool batchOrder)
    {
        int slots = batchOrder ? 8 : 32;
        float* a = stackalloc float[32];
        float* x = stackalloc float[8]; // reduction scratch, allocated once (not per output)
        for (int d = 0; d < len; d++)
        {
            for (int i = 0; i < slots; i++) a[i] = 0;
            for (int p = 0; p < positions; p++)
            {
                int slot = p & (slots - 1);
                a[slot] = MathF.FusedMultiplyAdd(values[(long)p * stride + d], weights[p], a[slot]);
            }
            if (batchOrder)
            {
                float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
                output[d] = (r0 + r2) + (r1 + r3);
            }
            else
            {
                for (int l = 0; l < 8; l++) x[l] = (a[l] + a[16 + l]) + (a[8 + l] + a[24 + l]);
                output[d] = ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7]));
            }
        }
    }

    private static Vector256<float> Lane(float* acc, int slot, int len, int d) => Avx.LoadVector256(acc + slot * len + d);
}
