using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// Prefill forms of the <see cref="Interleaved"/> group kernels: one 8-row group against <see cref="Tokens"/> tokens
/// per call. The weights are loaded and unpacked once and shared by the tokens; each token's integer sums, scales and
/// FMA chain are computed with exactly the operations of the one-token kernel, so every output is bit-identical to it.
/// </summary>
internal static unsafe class InterleavedTiles
{
    /// <summary>Tokens per call.</summary>
    public const int Tokens = 2;

    /// <summary>
    /// y[t * yStride + r] for the 8 rows r of the group at <paramref name="w"/> and tokens t = 0, 1 (activation rows
    /// <c>actStride</c> bytes apart); null when the type has none.
    /// </summary>
    public static delegate*<byte*, byte*, long, int, float*, long, void> GroupKernel(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &Q4_0,
        GgmlType.Q4_K => &Q4_K,
        _ => null,
    };

    /// <summary>
    /// The tile kernel for a batch's gemm columns (<see cref="Interleaved.GemmColumns"/>): Q4_0 and IQ4_NL gemm
    /// accumulate like their gemv, so the same kernel; Q4_K's gemm has its own order.
    /// </summary>
    public static delegate*<byte*, byte*, long, int, float*, long, void> GemmGroupKernel(GgmlType type) =>
        Interleaved.GemmOrderDiffers(type) ? &Q4_KGemm : GroupKernel(type);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Q4_0Sum(Vector256<byte> l0, Vector256<byte> l1, Vector256<byte> l2, Vector256<byte> l3,
        Vector256<byte> h0, Vector256<byte> h1, Vector256<byte> h2, Vector256<byte> h3, int* aq)
    {
        // the one-token kernel's int16 sum, term for term
        Vector256<short> s = Avx2.MultiplyAddAdjacent(l0, Vector256.Create(aq[0]).AsSByte());
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l1, Vector256.Create(aq[1]).AsSByte()));
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l2, Vector256.Create(aq[2]).AsSByte()));
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l3, Vector256.Create(aq[3]).AsSByte()));
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h0, Vector256.Create(aq[4]).AsSByte()));
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h1, Vector256.Create(aq[5]).AsSByte()));
        s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h2, Vector256.Create(aq[6]).AsSByte()));
        return Avx2.Add(s, Avx2.MultiplyAddAdjacent(h3, Vector256.Create(aq[7]).AsSByte()));
    }

    // Interleaved.Avx2Q4_0 for two tokens
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4_0(byte* w, byte* act, long actStride, int n, float* y, long yStride)
    {
        int nb = n / 32;
        int* corr0 = (int*)(act + (long)nb * Blocks.Q8_0);
        int* corr1 = (int*)(act + actStride + (long)nb * Blocks.Q8_0);
        var m4 = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        byte* a0 = act, a1 = act + actStride;
        for (int b = 0; b < nb; b++, w += Interleaved.Q4_0GroupBlock, a0 += Blocks.Q8_0, a1 += Blocks.Q8_0)
        {
            Vector256<byte> v0 = Avx.LoadVector256(w + 16);
            Vector256<byte> v1 = Avx.LoadVector256(w + 48);
            Vector256<byte> v2 = Avx.LoadVector256(w + 80);
            Vector256<byte> v3 = Avx.LoadVector256(w + 112);
            Vector256<byte> l0 = Avx2.And(v0, m4), l1 = Avx2.And(v1, m4), l2 = Avx2.And(v2, m4), l3 = Avx2.And(v3, m4);
            Vector256<byte> h0 = Avx2.And(Avx2.ShiftRightLogical(v0.AsUInt16(), 4).AsByte(), m4);
            Vector256<byte> h1 = Avx2.And(Avx2.ShiftRightLogical(v1.AsUInt16(), 4).AsByte(), m4);
            Vector256<byte> h2 = Avx2.And(Avx2.ShiftRightLogical(v2.AsUInt16(), 4).AsByte(), m4);
            Vector256<byte> h3 = Avx2.And(Avx2.ShiftRightLogical(v3.AsUInt16(), 4).AsByte(), m4);
            Vector256<float> dw = Avx2Helpers.HalfToSingleFinite((short*)w);

            Vector256<short> s = Q4_0Sum(l0, l1, l2, l3, h0, h1, h2, h3, (int*)(a0 + 2));
            Vector256<int> isum = Avx2.Subtract(Avx2.MultiplyAddAdjacent(s, ones), Vector256.Create(corr0[b]));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Avx.Multiply(dw, Vector256.Create(Fp16.ToFloat(a0))), acc0);

            s = Q4_0Sum(l0, l1, l2, l3, h0, h1, h2, h3, (int*)(a1 + 2));
            isum = Avx2.Subtract(Avx2.MultiplyAddAdjacent(s, ones), Vector256.Create(corr1[b]));
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Avx.Multiply(dw, Vector256.Create(Fp16.ToFloat(a1))), acc1);
        }
        Avx.Store(y, acc0);
        Avx.Store(y + yStride, acc1);
    }

    // Interleaved.Avx2Q4_K for two tokens
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4_K(byte* w, byte* act, long actStride, int n, float* y, long yStride) =>
        Q4_K(w, act, actStride, n, y, yStride, gemmOrder: false);

    /// <summary>The gemm columns' order (<see cref="Interleaved.Avx2Q4_KGemm"/>): one FMA per pair of sub-blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4_KGemm(byte* w, byte* act, long actStride, int n, float* y, long yStride) =>
        Q4_K(w, act, actStride, n, y, yStride, gemmOrder: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4_K(byte* w, byte* act, long actStride, int n, float* y, long yStride, bool gemmOrder)
    {
        int nb = n / 256;
        var m4 = Vector256.Create((byte)0x0F);
        Vector256<sbyte> dup = Vector256.Create(
            0, -128, 0, -128, 1, -128, 1, -128, 2, -128, 2, -128, 3, -128, 3, -128,
            4, -128, 4, -128, 5, -128, 5, -128, 6, -128, 6, -128, 7, -128, 7, -128);
        Vector256<sbyte> pairs = Vector256.Create(
            0, -128, 8, -128, 1, -128, 9, -128, 2, -128, 10, -128, 3, -128, 11, -128,
            4, -128, 12, -128, 5, -128, 13, -128, 6, -128, 14, -128, 7, -128, 15, -128);
        Vector256<float> acc0 = Vector256<float>.Zero, accMin0 = Vector256<float>.Zero;
        Vector256<float> acc1 = Vector256<float>.Zero, accMin1 = Vector256<float>.Zero;
        byte* a0 = act, a1 = act + actStride;
        for (int b = 0; b < nb; b++, w += Interleaved.Q4_KGroupBlock, a0 += Blocks.Q8_K, a1 += Blocks.Q8_K)
        {
            int* aq0 = (int*)(a0 + 4), aq1 = (int*)(a1 + 4);
            short* bsums0 = (short*)(a0 + 260), bsums1 = (short*)(a1 + 260);
            Vector256<int> isum0 = Vector256<int>.Zero, imin0 = Vector256<int>.Zero;
            Vector256<int> isum1 = Vector256<int>.Zero, imin1 = Vector256<int>.Zero;
            // the super-block scales times each token's activation scale (fp16 d and dmin of the 8 rows)
            Vector256<float> d = Avx2Helpers.HalfToSingleFinite((short*)w), dmin = Avx2Helpers.HalfToSingleFinite((short*)(w + 16));
            Vector256<float> da0 = Vector256.Create(*(float*)a0), da1 = Vector256.Create(*(float*)a1);
            Vector256<float> dda0 = Avx.Multiply(d, da0), dminda0 = Avx.Multiply(dmin, da0);
            Vector256<float> dda1 = Avx.Multiply(d, da1), dminda1 = Avx.Multiply(dmin, da1);
            byte* q = w + 160;
            for (int j = 0; j < 4; j++, q += 256, aq0 += 16, aq1 += 16)
            {
                Vector256<short> s00 = Vector256<short>.Zero, s01 = Vector256<short>.Zero;
                Vector256<short> s10 = Vector256<short>.Zero, s11 = Vector256<short>.Zero;
                for (int p = 0; p < 8; p++)
                {
                    Vector256<byte> v = Avx.LoadVector256(q + 32 * p);
                    Vector256<byte> lo = Avx2.And(v, m4);
                    Vector256<byte> hi = Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), m4);
                    s00 = Avx2.Add(s00, Avx2.MultiplyAddAdjacent(lo, Vector256.Create(aq0[p]).AsSByte()));
                    s01 = Avx2.Add(s01, Avx2.MultiplyAddAdjacent(hi, Vector256.Create(aq0[8 + p]).AsSByte()));
                    s10 = Avx2.Add(s10, Avx2.MultiplyAddAdjacent(lo, Vector256.Create(aq1[p]).AsSByte()));
                    s11 = Avx2.Add(s11, Avx2.MultiplyAddAdjacent(hi, Vector256.Create(aq1[8 + p]).AsSByte()));
                }
                Vector256<short> sc0 = Avx2.Shuffle(Vector256.Create(*(ulong*)(w + 32 + 16 * j)).AsSByte(), dup).AsInt16();
                Vector256<short> sc1 = Avx2.Shuffle(Vector256.Create(*(ulong*)(w + 40 + 16 * j)).AsSByte(), dup).AsInt16();
                Vector256<short> mins = Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(w + 96 + 16 * j)).AsSByte(), pairs).AsInt16();
                Vector256<int> pair0 = Avx2.Add(Avx2.MultiplyAddAdjacent(s00, sc0), Avx2.MultiplyAddAdjacent(s01, sc1));
                Vector256<int> pair1 = Avx2.Add(Avx2.MultiplyAddAdjacent(s10, sc0), Avx2.MultiplyAddAdjacent(s11, sc1));
                int bs0 = (bsums0[4 * j] + bsums0[4 * j + 1]) & 0xFFFF | (bsums0[4 * j + 2] + bsums0[4 * j + 3]) << 16;
                int bs1 = (bsums1[4 * j] + bsums1[4 * j + 1]) & 0xFFFF | (bsums1[4 * j + 2] + bsums1[4 * j + 3]) << 16;
                Vector256<int> minPair0 = Avx2.MultiplyAddAdjacent(mins, Vector256.Create(bs0).AsInt16());
                Vector256<int> minPair1 = Avx2.MultiplyAddAdjacent(mins, Vector256.Create(bs1).AsInt16());
                if (gemmOrder)
                {
                    acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pair0), dda0, acc0);
                    accMin0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(minPair0), dminda0, accMin0);
                    acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pair1), dda1, acc1);
                    accMin1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(minPair1), dminda1, accMin1);
                }
                else
                {
                    isum0 = Avx2.Add(isum0, pair0);
                    isum1 = Avx2.Add(isum1, pair1);
                    imin0 = Avx2.Add(imin0, minPair0);
                    imin1 = Avx2.Add(imin1, minPair1);
                }
            }
            if (!gemmOrder)
            {
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum0), dda0, acc0);
                accMin0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imin0), dminda0, accMin0);
                acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum1), dda1, acc1);
                accMin1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imin1), dminda1, accMin1);
            }
        }
        Avx.Store(y, Avx.Subtract(acc0, accMin0));
        Avx.Store(y + yStride, Avx.Subtract(acc1, accMin1));
    }
}
