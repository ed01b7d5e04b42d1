using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;
using static Llambda.Tensors.Kernels.Avx2Helpers;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// Register-tiled AVX2 kernels for the weight types that are not repacked: <see cref="Rows"/> weight rows against one
/// token (decode), or <see cref="Rows"/> rows × <see cref="Tokens"/> tokens (prefill), per call. Each output keeps its
/// own accumulators, updated block by block in exactly the order of the single-output kernel it stands for
/// (<see cref="Avx2Dot"/>), and is reduced the same way, so the results are bit-identical to it. The tiling only
/// shares loads and conversions between outputs and saves calls; for F16 decode it also gives the memory system four
/// row streams at once (about 1.3x the single-row kernel's bytes per second on one core).
/// </summary>
internal static unsafe class Avx2Tiles
{
    /// <summary>Weight rows per call.</summary>
    public const int Rows = 4;

    /// <summary>Tokens per call of a <see cref="TileKernel"/>.</summary>
    public const int Tokens = 3;

    /// <summary>
    /// y[r] = dot(row r, act) for r in [0, <see cref="Rows"/>): rows <paramref name="rowBytes"/> apart; null when the
    /// type has no such kernel. <paramref name="batch"/> as for <see cref="VecDot.GetKernel(GgmlType, bool)"/>.
    /// </summary>
    public static delegate*<byte*, long, byte*, int, float*, void> RowsKernel(GgmlType type, bool batch) => type switch
    {
        // one token: Q8_0 (and Q6_K) decode keeps the single-row kernel, whose one sequential stream read faster
        // than four interleaved rows here (Q8_0, 2 threads: about 13 vs 11 GB/s); batches use these for the
        // leftover tokens
        GgmlType.Q8_0 => batch ? &Q8_0Rows : null,
        GgmlType.F16 => batch ? &F16BatchRows : &F16Rows,
        GgmlType.Q6_K => batch ? &Q6_KRows : null,
        _ => null,
    };

    /// <summary>
    /// y[t * yStride + r] = dot(row r, token t) for <see cref="Rows"/> rows × <see cref="Tokens"/> tokens, in the order
    /// of the batch kernel (<see cref="VecDot.GetKernel(GgmlType, bool)"/> with batch true); null when there is none.
    /// </summary>
    public static delegate*<byte*, long, byte*, long, int, float*, long, void> TileKernel(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => &Q8_0Tile,
        GgmlType.F16 => &F16BatchTile,
        GgmlType.Q6_K => &Q6_KTile,
        _ => null,
    };

    // ---- Q8_0 × Q8_0: Avx2Dot.Q8_0, acc = fma(d_x*d_y, int sums of the block, acc), hsum_float_8 ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8_0Block(byte* x, float dy, Vector256<sbyte> qy, Vector256<float> acc)
    {
        Vector256<float> d = Vector256.Create(Fp16.ToFloat(x) * dy);
        Vector256<int> p = Avx2Helpers.MulSumI8(Avx.LoadVector256((sbyte*)(x + 2)), qy);
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(p), acc);
    }

    private static void Q8_0Rows(byte* w, long rowBytes, byte* act, int n, float* y)
    {
        int nb = n / 32;
        byte* x0 = w, x1 = w + rowBytes, x2 = w + 2 * rowBytes, x3 = w + 3 * rowBytes;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (long o = 0, end = (long)nb * Blocks.Q8_0; o < end; o += Blocks.Q8_0)
        {
            float dy = Fp16.ToFloat(act + o);
            Vector256<sbyte> qy = Avx.LoadVector256((sbyte*)(act + o + 2));
            c0 = Q8_0Block(x0 + o, dy, qy, c0);
            c1 = Q8_0Block(x1 + o, dy, qy, c1);
            c2 = Q8_0Block(x2 + o, dy, qy, c2);
            c3 = Q8_0Block(x3 + o, dy, qy, c3);
        }
        y[0] = Avx2Helpers.HorizontalSum(c0);
        y[1] = Avx2Helpers.HorizontalSum(c1);
        y[2] = Avx2Helpers.HorizontalSum(c2);
        y[3] = Avx2Helpers.HorizontalSum(c3);
    }

    // MulSumI8(x, y) with |x| computed once per weight block and shared by the tokens; x itself is re-read from L1
    // (vpsignb has no EVEX form, so only the low 16 registers hold its operands: fewer values live in them).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8_0Product(Vector256<byte> ax, byte* x, float dx, float dy, Vector256<sbyte> qy, Vector256<float> acc)
    {
        Vector256<sbyte> sy = Avx2.Sign(qy, Avx.LoadVector256((sbyte*)(x + 2)));
        Vector256<int> p = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ax, sy), Vector256<short>.One);
        return Fma.MultiplyAdd(Vector256.Create(dx * dy), Avx.ConvertToVector256Single(p), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Abs(byte* x)
    {
        Vector256<sbyte> q = Avx.LoadVector256((sbyte*)(x + 2));
        return Avx2.Sign(q, q).AsByte();
    }

    private static void Q8_0Tile(byte* w, long rowBytes, byte* act, long actStride, int n, float* y, long yStride)
    {
        int nb = n / 32;
        byte* x0 = w, x1 = w + rowBytes, x2 = w + 2 * rowBytes, x3 = w + 3 * rowBytes;
        byte* a0 = act, a1 = act + actStride, a2 = act + 2 * actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        for (long o = 0, end = (long)nb * Blocks.Q8_0; o < end; o += Blocks.Q8_0)
        {
            Vector256<byte> ax0 = Abs(x0 + o), ax1 = Abs(x1 + o), ax2 = Abs(x2 + o), ax3 = Abs(x3 + o);
            float dx0 = Fp16.ToFloat(x0 + o), dx1 = Fp16.ToFloat(x1 + o), dx2 = Fp16.ToFloat(x2 + o), dx3 = Fp16.ToFloat(x3 + o);

            float dy = Fp16.ToFloat(a0 + o);
            Vector256<sbyte> qy = Avx.LoadVector256((sbyte*)(a0 + o + 2));
            c00 = Q8_0Product(ax0, x0 + o, dx0, dy, qy, c00);
            c01 = Q8_0Product(ax1, x1 + o, dx1, dy, qy, c01);
            c02 = Q8_0Product(ax2, x2 + o, dx2, dy, qy, c02);
            c03 = Q8_0Product(ax3, x3 + o, dx3, dy, qy, c03);

            dy = Fp16.ToFloat(a1 + o);
            qy = Avx.LoadVector256((sbyte*)(a1 + o + 2));
            c10 = Q8_0Product(ax0, x0 + o, dx0, dy, qy, c10);
            c11 = Q8_0Product(ax1, x1 + o, dx1, dy, qy, c11);
            c12 = Q8_0Product(ax2, x2 + o, dx2, dy, qy, c12);
            c13 = Q8_0Product(ax3, x3 + o, dx3, dy, qy, c13);

            dy = Fp16.ToFloat(a2 + o);
            qy = Avx.LoadVector256((sbyte*)(a2 + o + 2));
            c20 = Q8_0Product(ax0, x0 + o, dx0, dy, qy, c20);
            c21 = Q8_0Product(ax1, x1 + o, dx1, dy, qy, c21);
            c22 = Q8_0Product(ax2, x2 + o, dx2, dy, qy, c22);
            c23 = Q8_0Product(ax3, x3 + o, dx3, dy, qy, c23);
        }
        Store4(y, c00, c01, c02, c03);
        Store4(y + yStride, c10, c11, c12, c13);
        Store4(y + 2 * yStride, c20, c21, c22, c23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* y, Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3)
    {
        y[0] = Avx2Helpers.HorizontalSum(c0);
        y[1] = Avx2Helpers.HorizontalSum(c1);
        y[2] = Avx2Helpers.HorizontalSum(c2);
        y[3] = Avx2Helpers.HorizontalSum(c3);
    }

    // ---- F16 × f32 (rounded to f16), one token: Avx2Dot.F16 (ggml_vec_dot_f16), four chains per row ----

    private static void F16Rows(byte* w, long rowBytes, byte* act, int n, float* y)
    {
        short* x0 = (short*)w, x1 = (short*)(w + rowBytes), x2 = (short*)(w + 2 * rowBytes), x3 = (short*)(w + 3 * rowBytes);
        float* a = (float*)act;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            // prefetch the next four rows at the same column, one call ahead: a 2048-column F16 row is one 4 KiB
            // page, and the hardware prefetchers stop at page ends, so each new row would start cold (a prefetch
            // past the matrix is harmless)
            byte* next = (byte*)(x0 + i) + 4 * rowBytes;
            Sse.Prefetch0(next);
            Sse.Prefetch0(next + rowBytes);
            Sse.Prefetch0(next + 2 * rowBytes);
            Sse.Prefetch0(next + 3 * rowBytes);
            Vector256<float> y0 = Avx.LoadVector256(a + i), y1 = Avx.LoadVector256(a + i + 8);
            Vector256<float> y2 = Avx.LoadVector256(a + i + 16), y3 = Avx.LoadVector256(a + i + 24);
            c00 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x0 + i), y0, c00);
            c01 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x0 + i + 8), y1, c01);
            c02 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x0 + i + 16), y2, c02);
            c03 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x0 + i + 24), y3, c03);
            c10 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x1 + i), y0, c10);
            c11 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x1 + i + 8), y1, c11);
            c12 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x1 + i + 16), y2, c12);
            c13 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x1 + i + 24), y3, c13);
            c20 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x2 + i), y0, c20);
            c21 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x2 + i + 8), y1, c21);
            c22 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x2 + i + 16), y2, c22);
            c23 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x2 + i + 24), y3, c23);
            c30 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x3 + i), y0, c30);
            c31 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x3 + i + 8), y1, c31);
            c32 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x3 + i + 16), y2, c32);
            c33 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x3 + i + 24), y3, c33);
        }
        y[0] = F16Finish(AttentionKernels.ReduceF32x8(c00, c01, c02, c03), (ushort*)x0, a, i, n);
        y[1] = F16Finish(AttentionKernels.ReduceF32x8(c10, c11, c12, c13), (ushort*)x1, a, i, n);
        y[2] = F16Finish(AttentionKernels.ReduceF32x8(c20, c21, c22, c23), (ushort*)x2, a, i, n);
        y[3] = F16Finish(AttentionKernels.ReduceF32x8(c30, c31, c32, c33), (ushort*)x3, a, i, n);
    }

    // Avx2Dot.F16's tail: the n % 32 leftover products added one at a time in double.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F16Finish(double sum, ushort* x, float* a, int i, int n)
    {
        for (; i < n; i++) sum += Fp16.TimesScaledActivation(x[i], a[i]);
        return (float)sum;
    }

    // ---- F16 batch (llamafile tinyBLAS order): Avx2Dot.F16Batch, one FMA chain per output over steps of 8 ----

    private static void F16BatchRows(byte* w, long rowBytes, byte* act, int n, float* y)
    {
        if (n % 8 != 0)
        {
            // tinyBLAS declines such rows and llama.cpp uses vec_dot, as Avx2Dot.F16Batch does
            F16Rows(w, rowBytes, act, n, y);
            return;
        }
        short* x0 = (short*)w, x1 = (short*)(w + rowBytes), x2 = (short*)(w + 2 * rowBytes), x3 = (short*)(w + 3 * rowBytes);
        float* a = (float*)act;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int i = 0; i < n; i += 8)
        {
            Vector256<float> ya = Avx.LoadVector256(a + i);
            c0 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x0 + i), ya, c0);
            c1 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x1 + i), ya, c1);
            c2 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x2 + i), ya, c2);
            c3 = Fma.MultiplyAdd(Avx2Helpers.HalfToSingleScaled(x3 + i), ya, c3);
        }
        Store4(y, c0, c1, c2, c3);
    }

    private static void F16BatchTile(byte* w, long rowBytes, byte* act, long actStride, int n, float* y, long yStride)
    {
        if (n % 8 != 0)
        {
            for (int t = 0; t < Tokens; t++) F16Rows(w, rowBytes, act + t * actStride, n, y + t * yStride);
            return;
        }
        short* x0 = (short*)w, x1 = (short*)(w + rowBytes), x2 = (short*)(w + 2 * rowBytes), x3 = (short*)(w + 3 * rowBytes);
        float* a0 = (float*)act, a1 = (float*)(act + actStride), a2 = (float*)(act + 2 * actStride);
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        // rows 2-3 read the activations again through other pointers: written as the same loads, the JIT would keep
        // the first ones in registers (it has none left) rather than read them again from L1
        float* r0 = a0 - 8, r1 = a1 - 8, r2 = a2 - 8;
        for (int i = 0; i < n; i += 8)
        {
            // two rows against the three tokens at a time: twelve accumulators, two weights, one activation and the
            // conversion's mask fill the 16 ymm registers exactly (all four rows' weights at once made the JIT keep an
            // accumulator on the stack, whose store and reload then lengthened its FMA chain)
            Vector256<float> w0 = Avx2Helpers.HalfToSingleScaled(x0 + i), w1 = Avx2Helpers.HalfToSingleScaled(x1 + i);
            Vector256<float> ya = Avx.LoadVector256(a0 + i);
            c00 = Fma.MultiplyAdd(w0, ya, c00);
            c01 = Fma.MultiplyAdd(w1, ya, c01);
            ya = Avx.LoadVector256(a1 + i);
            c10 = Fma.MultiplyAdd(w0, ya, c10);
            c11 = Fma.MultiplyAdd(w1, ya, c11);
            ya = Avx.LoadVector256(a2 + i);
            c20 = Fma.MultiplyAdd(w0, ya, c20);
            c21 = Fma.MultiplyAdd(w1, ya, c21);

            Vector256<float> w2 = Avx2Helpers.HalfToSingleScaled(x2 + i), w3 = Avx2Helpers.HalfToSingleScaled(x3 + i);
            ya = Avx.LoadVector256(r0 + i + 8);
            c02 = Fma.MultiplyAdd(w2, ya, c02);
            c03 = Fma.MultiplyAdd(w3, ya, c03);
            ya = Avx.LoadVector256(r1 + i + 8);
            c12 = Fma.MultiplyAdd(w2, ya, c12);
            c13 = Fma.MultiplyAdd(w3, ya, c13);
            ya = Avx.LoadVector256(r2 + i + 8);
            c22 = Fma.MultiplyAdd(w2, ya, c22);
            c23 = Fma.MultiplyAdd(w3, ya, c23);
        }
        Store4(y, c00, c01, c02, c03);
        Store4(y + yStride, c10, c11, c12, c13);
        Store4(y + 2 * yStride, c20, c21, c22, c23);
    }

    // ---- Q6_K × Q8_K: Avx2Dot.Q6_K, one row against three tokens, the 6-bit weights unpacked once ----

    private static void Q6_KRows(byte* w, long rowBytes, byte* act, int n, float* y)
    {
        for (int r = 0; r < Rows; r++) y[r] = Avx2Dot.Q6_K(w + r * rowBytes, act, n);
    }

    private static void Q6_KTile(byte* w, long rowBytes, byte* act, long actStride, int n, float* y, long yStride)
    {
        for (int r = 0; r < Rows; r++) Q6_KRowTokens(w + r * rowBytes, act, actStride, n, y + r, yStride);
    }

    private static void Q6_KRowTokens(byte* x, byte* act, long actStride, int n, float* y, long yStride)
    {
        int nb = n / 256;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default;
        byte* a0 = act, a1 = act + actStride, a2 = act + 2 * actStride;
        for (int b = 0; b < nb; b++, x += Blocks.Q6_K, a0 += Blocks.Q8_K, a1 += Blocks.Q8_K, a2 += Blocks.Q8_K)
        {
            Vector256<int> sumi0 = default, sumi1 = default, sumi2 = default;
            for (int half = 0; half < 2; half++)
            {
                sbyte* sc = (sbyte*)(x + 192 + 8 * half);
                Q6_KHalf(x + 64 * half, x + 128 + 32 * half, out var v0, out var v1, out var v2, out var v3);
                Vector256<short> s0 = TwoScales(sc[0], sc[1]), s1 = TwoScales(sc[2], sc[3]);
                Vector256<short> s2 = TwoScales(sc[4], sc[5]), s3 = TwoScales(sc[6], sc[7]);
                int q8 = 4 + 128 * half;
                sumi0 = Q6_KHalfSums(v0, v1, v2, v3, s0, s1, s2, s3, (sbyte*)(a0 + q8), sumi0);
                sumi1 = Q6_KHalfSums(v0, v1, v2, v3, s0, s1, s2, s3, (sbyte*)(a1 + q8), sumi1);
                sumi2 = Q6_KHalfSums(v0, v1, v2, v3, s0, s1, s2, s3, (sbyte*)(a2 + q8), sumi2);
            }
            Vector256<short> scales16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(x + 192)));
            sumi0 = Avx2.Subtract(sumi0, Q6_KOffset(a0, scales16));
            sumi1 = Avx2.Subtract(sumi1, Q6_KOffset(a1, scales16));
            sumi2 = Avx2.Subtract(sumi2, Q6_KOffset(a2, scales16));
            float dx = Fp16.ToFloat(x + 208);
            acc0 = Fma.MultiplyAdd(Vector256.Create(dx * *(float*)a0), Avx.ConvertToVector256Single(sumi0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(dx * *(float*)a1), Avx.ConvertToVector256Single(sumi1), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(dx * *(float*)a2), Avx.ConvertToVector256Single(sumi2), acc2);
        }
        y[0] = Avx2Helpers.HorizontalSum(acc0);
        y[yStride] = Avx2Helpers.HorizontalSum(acc1);
        y[2 * yStride] = Avx2Helpers.HorizontalSum(acc2);
    }
}
