using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Llambda.Tensors.Kernels.Avx2Helpers;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// AVX2+FMA dot products: the same per-block integer dots as <see cref="ScalarDot"/>, with the per-block scale applied
/// lane-wise and accumulated in 8-lane float registers like ggml's AVX2 kernels (so the results differ from the scalar
/// path only by float summation order).
/// </summary>
internal static unsafe class Avx2Dot
{

    /// <summary>
    /// ggml_vec_dot_f32 (AVX2, one column): four 8-lane FMA accumulators over blocks of 32, GGML_F32x8_REDUCE, then
    /// the n % 32 leftovers. Their loop is plain C (sumf += x[i]*y[i]), which the haswell build compiles (see its
    /// disassembly) into groups of 8 and then 4 rounded products added one by one in order, and FMAs for the last
    /// n % 4; so does this (it matters for heads of 8 or 16 values, whose q·k is all leftovers).
    /// </summary>
    public static float F32(float* x, float* y, int n)
    {
        int np = n & ~31;
        float sum = AttentionKernels.ReduceLanes(F32Lanes(x, y, np, prefetch: true));
        int t = np, unfused = np + ((n - np) & ~3);
        for (; t < unfused; t++) sum += x[t] * y[t];
        for (; t < n; t++) sum = MathF.FusedMultiplyAdd(x[t], y[t], sum);
        return sum;
    }

    /// <summary>
    /// <see cref="F32"/>'s four 8-lane FMA accumulators over the first <paramref name="n"/> (a multiple of 32) values,
    /// combined as GGML_F32x8_REDUCE begins: (a0 + a2) + (a1 + a3). <paramref name="prefetch"/>: ask for x ahead, for a
    /// weight row streamed from memory (not for attention's cached keys).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> F32Lanes(float* x, float* y, int n, bool prefetch)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = 0; i < n; i += 32)
        {
            if (prefetch) PrefetchAhead(x + i, 128);
            a0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), a0);
            a1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Avx.LoadVector256(y + i + 8), a1);
            a2 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 16), Avx.LoadVector256(y + i + 16), a2);
            a3 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 24), Avx.LoadVector256(y + i + 24), a3);
        }
        return Avx.Add(Avx.Add(a0, a2), Avx.Add(a1, a3));
    }

    /// <summary>
    /// llamafile's tinyBLAS for F32 (a batch of 2+ columns, k a multiple of 8): one 8-lane FMA chain per output,
    /// then its hsum. Otherwise tinyBLAS declines and ggml uses <see cref="F32"/>.
    /// </summary>
    public static float F32Batch(float* x, float* y, int n)
    {
        if (n % 8 != 0) return F32(x, y, n);
        Vector256<float> acc = default;
        for (int i = 0; i < n; i += 8)
            acc = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), acc);
        return Avx2Helpers.HorizontalSum(acc);
    }

    // ggml_vec_dot_f16 (AVX2/F16C, one column): four 8-lane FMA accumulators over blocks of 32, GGML_F32x8_REDUCE,
    // the tail (n % 32) added one product at a time in double.
    public static float F16(ushort* x, float* y, int n)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            PrefetchAhead(x + i);
            a0 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled((short*)x + i), Avx.LoadVector256(y + i), a0);
            a1 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled((short*)x + i + 8), Avx.LoadVector256(y + i + 8), a1);
            a2 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled((short*)x + i + 16), Avx.LoadVector256(y + i + 16), a2);
            a3 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled((short*)x + i + 24), Avx.LoadVector256(y + i + 24), a3);
        }
        double sum = AttentionKernels.ReduceF32x8(a0, a1, a2, a3);
        for (; i < n; i++) sum += Fp16.TimesScaledActivation(x[i], y[i]);
        return (float)sum;
    }

    // llamafile tinyBLAS<8, __m256, __m256, ggml_fp16_t, ggml_fp16_t> (F16 weights, batch of 2+ columns): one 8-lane
    // FMA chain over the row, then hsum; n must be a multiple of 8 (else llama.cpp falls back to vec_dot).
    public static float F16Batch(ushort* x, float* y, int n)
    {
        if (n % 8 != 0) return F16(x, y, n);
        Vector256<float> acc = default;
        for (int i = 0; i < n; i += 8)
            acc = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled((short*)x + i), Avx.LoadVector256(y + i), acc);
        return Avx2Helpers.HorizontalSum(acc);
    }

    // ggml_vec_dot_bf16 (AVX2, one column): four accumulators c1..c4 of mul+add over blocks of 32, combined as
    // (c1 + c3) + (c2 + c4), hsum_float_8; the tail in double.
    public static float BF16(ushort* x, float* y, int n)
    {
        Vector256<float> c1 = default, c2 = default, c3 = default, c4 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            PrefetchAhead(x + i);
            c1 = Avx.Add(Avx.Multiply(Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(x + i)), Avx.LoadVector256(y + i)), c1);
            c2 = Avx.Add(Avx.Multiply(Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(x + i + 8)), Avx.LoadVector256(y + i + 8)), c2);
            c3 = Avx.Add(Avx.Multiply(Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(x + i + 16)), Avx.LoadVector256(y + i + 16)), c3);
            c4 = Avx.Add(Avx.Multiply(Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(x + i + 24)), Avx.LoadVector256(y + i + 24)), c4);
        }
        double sum = Avx2Helpers.HorizontalSum(Avx.Add(Avx.Add(c1, c3), Avx.Add(c2, c4)));
        for (; i < n; i++) sum += Fp16.BF16ToFloat(x[i]) * y[i];
        return (float)sum;
    }

    // llamafile tinyBLAS<8, __m256, __m256, ggml_bf16_t, ggml_bf16_t> (batch of 2+ columns): one FMA chain, hsum.
    public static float BF16Batch(ushort* x, float* y, int n)
    {
        if (n % 8 != 0) return BF16(x, y, n);
        Vector256<float> acc = default;
        for (int i = 0; i < n; i += 8)
            acc = Fma.MultiplyAdd(Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(x + i)), Avx.LoadVector256(y + i), acc);
        return Avx2Helpers.HorizontalSum(acc);
    }

    // ggml_vec_dot_q4_0_q8_0 (AVX2): one 8-lane accumulator, acc = fma(d_x*d_y, block int sums, acc), then hsum_float_8.
    public static float Q4_0(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector256<float> acc = default;
        Vector256<sbyte> off = Vector256.Create((sbyte)8);
        for (int b = 0; b < nb; b++, x += Blocks.Q4_0, y += Blocks.Q8_0)
        {
            PrefetchAhead(x);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<sbyte> qx = Avx2.Subtract(Avx2Helpers.Nibbles(x + 2).AsSByte(), off);
            Vector256<int> p = Avx2Helpers.MulSumI8(qx, Avx.LoadVector256((sbyte*)(y + 2)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    // ggml_vec_dot_q8_0_q8_0 (AVX2) and llamafile's tinyBLAS_Q0_AVX: the same single accumulator chain.
    public static float Q8_0(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector256<float> acc = default;
        for (int b = 0; b < nb; b++, x += Blocks.Q8_0, y += Blocks.Q8_0)
        {
            PrefetchAhead(x);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<int> p = Avx2Helpers.MulSumI8(Avx.LoadVector256((sbyte*)(x + 2)), Avx.LoadVector256((sbyte*)(y + 2)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    public static float Q4_1(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector256<float> acc = default;
        float summs = 0;
        for (int b = 0; b < nb; b++, x += Blocks.Q4_1, y += Blocks.Q8_1)
        {
            PrefetchAhead(x);
            summs += Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<int> p = Avx2Helpers.MulSumU8(Avx2Helpers.Nibbles(x + 4), Avx.LoadVector256((sbyte*)(y + 4)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc) + summs;
    }

    public static float Q5_0(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector256<float> acc = default;
        Vector256<byte> f0 = Vector256.Create((byte)0xF0);
        for (int b = 0; b < nb; b++, x += Blocks.Q5_0, y += Blocks.Q8_0)
        {
            PrefetchAhead(x);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<byte> qx = Avx2Helpers.Nibbles(x + 6);
            Vector256<byte> hi = Avx2.AndNot(Avx2Helpers.BytesFromBits(*(uint*)(x + 2)), f0); // 0xF0 where the 5th bit is clear: q - 16
            qx = Avx2.Or(qx, hi);
            Vector256<int> p = Avx2Helpers.MulSumI8(qx.AsSByte(), Avx.LoadVector256((sbyte*)(y + 2)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    public static float Q5_1(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector256<float> acc = default;
        float summs = 0;
        Vector256<byte> b10 = Vector256.Create((byte)0x10);
        for (int b = 0; b < nb; b++, x += Blocks.Q5_1, y += Blocks.Q8_1)
        {
            PrefetchAhead(x);
            summs += Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<byte> qx = Avx2.Or(Avx2Helpers.Nibbles(x + 8), Avx2.And(Avx2Helpers.BytesFromBits(*(uint*)(x + 4)), b10));
            Vector256<int> p = Avx2Helpers.MulSumU8(qx, Avx.LoadVector256((sbyte*)(y + 4)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc) + summs;
    }

    public static float IQ4_NL(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        Vector128<sbyte> kv128 = Vector128.Create(Blocks.IQ4NLValues);
        Vector256<sbyte> table = Vector256.Create(kv128, kv128);
        Vector256<float> acc = default;
        for (int b = 0; b < nb; b++, x += Blocks.IQ4_NL, y += Blocks.Q8_0)
        {
            PrefetchAhead(x);
            Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * Fp16.ToFloat(y));
            Vector256<sbyte> qx = Avx2.Shuffle(table, Avx2Helpers.Nibbles(x + 2).AsSByte());
            Vector256<int> p = Avx2Helpers.MulSumI8(qx, Avx.LoadVector256((sbyte*)(y + 2)));
            acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    // ggml_vec_dot_q2_K_q8_K (AVX2): per super-block, first acc = fma(-y.d*dmin, mins·bsums (8 lanes), acc), then
    // acc = fma(y.d*d, scaled integer sums, acc); hsum_float_8 at the end.
    public static float Q2_K(byte* x, byte* y, int n)
    {
        int nb = n / 256;
        Vector256<float> acc = default;
        Vector256<byte> m3 = Vector256.Create((byte)3);
        for (int b = 0; b < nb; b++, x += Blocks.Q2_K, y += Blocks.Q8_K)
        {
            PrefetchAhead(x, Blocks.Q2_K);
            byte* sc = x;
            sbyte* q8 = (sbyte*)(y + 4);
            float yd = *(float*)y;
            float dall = yd * Fp16.ToFloat(x + 80);
            float dmin = -yd * Fp16.ToFloat(x + 82);
            Vector128<byte> minsAndScales = Sse2.LoadVector128(sc);
            Vector128<byte> mins8 = Sse2.And(Sse2.ShiftRightLogical(minsAndScales.AsUInt16(), 4).AsByte(), Vector128.Create((byte)0xF));
            Vector256<int> prod = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(mins8), Avx.LoadVector256((short*)(y + 260)));
            acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(prod), acc);
            Vector256<int> sumi = default;
            for (int half = 0; half < 2; half++)
            {
                Vector256<ushort> bits = Avx.LoadVector256(x + 16 + 32 * half).AsUInt16();
                for (int j = 0; j < 4; j++)
                {
                    int isc = half * 8 + 2 * j;
                    Vector256<byte> v = Avx2.And(bits.AsByte(), m3);
                    bits = Avx2.ShiftRightLogical(bits, 2);
                    Vector256<short> p16 = Avx2.MultiplyAddAdjacent(v, Avx.LoadVector256(q8 + half * 128 + 32 * j));
                    sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p16, TwoScales(sc[isc] & 0xF, sc[isc + 1] & 0xF)));
                }
            }
            acc = Fma.MultiplyAdd(Vector256.Create(dall), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    public static float Q3_K(byte* x, byte* y, int n)
    {
        int nb = n / 256;
        sbyte* scales = stackalloc sbyte[16];
        Vector256<float> acc = default;
        Vector256<byte> m3 = Vector256.Create((byte)3);
        Vector256<byte> four = Vector256.Create((byte)4);
        for (int b = 0; b < nb; b++, x += Blocks.Q3_K, y += Blocks.Q8_K)
        {
            PrefetchAhead(x, Blocks.Q3_K);
            Blocks.UnpackScalesQ3K(x + 96, scales);
            sbyte* q8 = (sbyte*)(y + 4);
            Vector256<byte> hbits = Avx.LoadVector256(x);
            Vector256<int> sumi = default;
            for (int half = 0; half < 2; half++)
            {
                Vector256<ushort> bits = Avx.LoadVector256(x + 32 + 32 * half).AsUInt16();
                for (int j = 0; j < 4; j++)
                {
                    int isc = half * 8 + 2 * j;
                    Vector256<byte> mask = Vector256.Create((byte)(1 << (half * 4 + j)));
                    Vector256<byte> v = Avx2.And(bits.AsByte(), m3);
                    bits = Avx2.ShiftRightLogical(bits, 2);
                    Vector256<byte> hb = Avx2.And(Avx2.CompareEqual(Avx2.And(hbits, mask), Vector256<byte>.Zero), four);
                    Vector256<sbyte> q8v = Avx.LoadVector256(q8 + half * 128 + 32 * j);
                    Vector256<short> p16 = Avx2.Subtract(Avx2.MultiplyAddAdjacent(v, q8v), Avx2.MultiplyAddAdjacent(hb, q8v));
                    sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p16, TwoScales(scales[isc], scales[isc + 1])));
                }
            }
            float d = Fp16.ToFloat(x + 108) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }

    public static float Q4_K(byte* x, byte* y, int n)
    {
        int nb = n / 256;
        Vector256<float> acc = default;
        Vector128<float> accMins = default;
        for (int b = 0; b < nb; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            PrefetchAhead(x, Blocks.Q4_K);
            Blocks.UnpackScaleMinK4(x + 4, out ulong scales, out ulong minsPacked);
            // sum over sub-blocks of min * (sum of the 32 activations), from the Q8_K block sums
            Vector128<short> mins16 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(minsPacked).AsByte());
            Vector256<short> bsums = Avx.LoadVector256((short*)(y + 260));
            Vector128<int> prod = Sse2.MultiplyAddAdjacent(mins16, Ssse3.HorizontalAdd(bsums.GetLower(), bsums.GetUpper()));
            byte* q4 = x + 16;
            sbyte* q8 = (sbyte*)(y + 4);
            Vector256<int> sumi = default;
            for (int j = 0; j < 4; j++)
            {
                Vector256<byte> bits = Avx.LoadVector256(q4 + 32 * j);
                Vector256<byte> lo = Avx2.And(bits, Low4);
                Vector256<byte> hi = Avx2.And(Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte(), Low4);
                Vector256<short> pl = Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(q8 + 64 * j));
                Vector256<short> ph = Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(q8 + 64 * j + 32));
                sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(pl, Vector256.Create((short)(byte)(scales >> (16 * j)))));
                sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(ph, Vector256.Create((short)(byte)(scales >> (16 * j + 8)))));
            }
            float yd = *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(Fp16.ToFloat(x) * yd), Avx.ConvertToVector256Single(sumi), acc);
            accMins = Fma.MultiplyAdd(Vector128.Create(Fp16.ToFloat(x + 2) * yd), Sse2.ConvertToVector128Single(prod), accMins);
        }
        accMins = Sse.Add(accMins, Sse.MoveHighToLow(accMins, accMins));
        accMins = Sse.AddScalar(accMins, Sse3.MoveHighAndDuplicate(accMins));
        return Avx2Helpers.HorizontalSum(acc) - accMins.ToScalar();
    }

    public static float Q5_K(byte* x, byte* y, int n)
    {
        int nb = n / 256;
        Vector256<float> acc = default;
        float summs = 0;
        Vector256<byte> b10 = Vector256.Create((byte)0x10);
        for (int b = 0; b < nb; b++, x += Blocks.Q5_K, y += Blocks.Q8_K)
        {
            PrefetchAhead(x, Blocks.Q5_K);
            Blocks.UnpackScaleMinK4(x + 4, out ulong scales, out ulong minsPacked);
            // sum over sub-blocks of min * (sum of the 32 activations), from the Q8_K block sums
            Vector128<short> mins16 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(minsPacked).AsByte());
            Vector256<short> bsums = Avx.LoadVector256((short*)(y + 260));
            Vector128<int> prod = Sse2.MultiplyAddAdjacent(mins16, Ssse3.HorizontalAdd(bsums.GetLower(), bsums.GetUpper()));
            // ggml: summs += dmin * hsum(prod), dmin = -y.d * fp16(x.dmin), in scalar float; the haswell build
            // contracts that line to one FMA (vfmadd231ss in its disassembly), which differs once there are 2+ blocks
            Vector128<int> h = Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(prod, Vector128<int>.Zero), Vector128<int>.Zero);
            float dmin = -*(float*)y * Fp16.ToFloat(x + 2);
            summs = MathF.FusedMultiplyAdd(dmin, h.ToScalar(), summs);
            Vector256<byte> hbits = Avx.LoadVector256(x + 16);
            byte* q5 = x + 48;
            sbyte* q8 = (sbyte*)(y + 4);
            Vector256<int> sumi = default;
            for (int j = 0; j < 4; j++)
            {
                Vector256<byte> m1 = Vector256.Create((byte)(1 << (2 * j)));
                Vector256<byte> m2 = Vector256.Create((byte)(2 << (2 * j)));
                Vector256<byte> bits = Avx.LoadVector256(q5 + 32 * j);
                Vector256<byte> lo = Avx2.Or(Avx2.And(bits, Low4), Avx2.And(Avx2.CompareEqual(Avx2.And(hbits, m1), m1), b10));
                Vector256<byte> hi = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte(), Low4),
                                             Avx2.And(Avx2.CompareEqual(Avx2.And(hbits, m2), m2), b10));
                Vector256<short> pl = Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(q8 + 64 * j));
                Vector256<short> ph = Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(q8 + 64 * j + 32));
                sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(pl, Vector256.Create((short)(byte)(scales >> (16 * j)))));
                sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(ph, Vector256.Create((short)(byte)(scales >> (16 * j + 8)))));
            }
            float yd = *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(yd * Fp16.ToFloat(x)), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Avx2Helpers.HorizontalSum(acc) + summs;
    }

    /// <summary>
    /// ggml_vec_dot_q6_K_q8_K (AVX2): the unsigned 6-bit values times the activations, per-16 scales applied with
    /// madd, and the -32 offset taken out once per block from the Q8_K block sums (lane k: 32 · (bsums[2k]·sc[2k] +
    /// bsums[2k+1]·sc[2k+1])). The integer total is the same as subtracting 32·y per value, but the split over the 8
    /// float lanes (each accumulated over the blocks, then summed) is not, so this follows ggml's split.
    /// </summary>
    public static float Q6_K(byte* x, byte* y, int n)
    {
        int nb = n / 256;
        Vector256<float> acc = default;
        for (int b = 0; b < nb; b++, x += Blocks.Q6_K, y += Blocks.Q8_K)
        {
            PrefetchAhead(x, Blocks.Q6_K);
            Vector256<int> sumi = default;
            for (int half = 0; half < 2; half++)
            {
                sbyte* sc = (sbyte*)(x + 192 + 8 * half);
                Q6_KHalf(x + 64 * half, x + 128 + 32 * half, out var v0, out var v1, out var v2, out var v3);
                sumi = Q6_KHalfSums(v0, v1, v2, v3, TwoScales(sc[0], sc[1]), TwoScales(sc[2], sc[3]),
                    TwoScales(sc[4], sc[5]), TwoScales(sc[6], sc[7]), (sbyte*)(y + 4 + 128 * half), sumi);
            }
            sumi = Avx2.Subtract(sumi, Q6_KOffset(y, Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(x + 192)))));
            float d = *(float*)y * Fp16.ToFloat(x + 208);
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Avx2Helpers.HorizontalSum(acc);
    }
}
