using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// llama.cpp's CPU backend repacks Q4_0, IQ4_NL and Q4_K weights whose row count is a multiple of 8 into 8-row
/// interleaved blocks on AVX2 machines (the "CPU_REPACK" buffer, ggml_gemv/gemm_*_8x8) and then accumulates every
/// output as one FMA chain over blocks of a whole-block integer sum: acc = fma((float)isum_b, d_w·d_a, acc) (Q4_K: a
/// second chain for the mins, subtracted at the end). This class has that order twice: scalar kernels on the original
/// row layout (the reference; <see cref="PortableDot"/> has their Vector128 twins for the path without AVX2), and AVX2
/// kernels on our own 8-row layout (one lane per row, no horizontal sums), which give the same floats bit for bit
/// since the integer sums are exact.
///
/// Our layout (per group of 8 rows, per block; not llama.cpp's byte order, the same arithmetic):
/// Q4_0 / IQ4_NL (144 bytes = 8 × 18): 8 fp16 scales, then 4 × 32 bytes where byte 4r+i of vector p holds row r's
/// values 4p+i (low nibble) and 16+4p+i (high nibble), as stored (Q4_0 unsigned 0..15, IQ4_NL table indices).
/// Q4_K (1184 bytes; 8 × 144 = 1152 unpacked): 8 fp16 d, 8 fp16 dmin, 8 × 8 bytes of unpacked 6-bit scales [sub-block][row],
/// 8 × 8 bytes of unpacked mins [sub-block][row], then 4 × 8 × 32 bytes of quants:
/// vector (j, p) byte 4r+i = row r's byte 32j+4p+i (low nibble: sub-block 2j value 4p+i; high: sub-block 2j+1).
/// </summary>
internal static unsafe class Interleaved
{
    public const int Rows = 8;
    public const int Q4_0GroupBlock = 144;
    public const int Q4_KGroupBlock = 1184;

    /// <summary>True when llama.cpp (AVX2) would repack a matrix of this type and row count.</summary>
    public static bool IsRepackedType(GgmlType type, int rows) =>
        type is GgmlType.Q4_0 or GgmlType.IQ4_NL or GgmlType.Q4_K && rows % Rows == 0 && rows > 0;

    /// <summary>Bytes of the interleaved copy of a rows × cols matrix.</summary>
    public static long PackedBytes(GgmlType type, int rows, int cols) => type switch
    {
        GgmlType.Q4_0 or GgmlType.IQ4_NL => (long)(rows / Rows) * (cols / 32) * Q4_0GroupBlock,
        GgmlType.Q4_K => (long)(rows / Rows) * (cols / 256) * Q4_KGroupBlock,
        _ => throw new NotSupportedException($"{type} is not repacked."),
    };

    /// <summary>Bytes of one packed group of 8 rows.</summary>
    public static long GroupBytes(GgmlType type, int cols) => PackedBytes(type, Rows, cols);

    /// <summary>Repacks 8 consecutive rows (at <paramref name="src"/>, <paramref name="rowBytes"/> apart) into one group.</summary>
    public static void PackGroup(GgmlType type, byte* src, long rowBytes, int cols, byte* dst)
    {
        if (type is GgmlType.Q4_0 or GgmlType.IQ4_NL)
        {
            int nb = cols / 32;
            for (int b = 0; b < nb; b++, dst += Q4_0GroupBlock)
            {
                for (int r = 0; r < 8; r++)
                {
                    byte* blk = src + r * rowBytes + b * 18;
                    ((ushort*)dst)[r] = *(ushort*)blk;
                    for (int p = 0; p < 4; p++)
                        *(uint*)(dst + 16 + 32 * p + 4 * r) = *(uint*)(blk + 2 + 4 * p);
                }
            }
            return;
        }
        if (type == GgmlType.Q4_K)
        {
            int nb = cols / 256;
            byte* sc = stackalloc byte[8];
            byte* mn = stackalloc byte[8];
            for (int b = 0; b < nb; b++, dst += Q4_KGroupBlock)
            {
                for (int r = 0; r < 8; r++)
                {
                    byte* blk = src + r * rowBytes + b * Blocks.Q4_K;
                    ((ushort*)dst)[r] = *(ushort*)blk;
                    ((ushort*)(dst + 16))[r] = *(ushort*)(blk + 2);
                    Blocks.UnpackScaleMinK4(blk + 4, sc, mn);
                    for (int s = 0; s < 8; s++)
                    {
                        dst[32 + 8 * s + r] = sc[s];
                        dst[96 + 8 * s + r] = mn[s];
                    }
                    byte* q = blk + 16;
                    for (int j = 0; j < 4; j++)
                        for (int p = 0; p < 8; p++)
                            *(uint*)(dst + 160 + 256 * j + 32 * p + 4 * r) = *(uint*)(q + 32 * j + 4 * p);
                }
            }
            return;
        }
        throw new NotSupportedException($"{type} is not repacked.");
    }

    // ---------------- scalar reference (original row layout, llama.cpp's repack order) ----------------

    public static float ScalarQ4_0(byte* x, byte* y, int n)
    {
        float acc = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_0, y += Blocks.Q8_0)
        {
            byte* qs = x + 2;
            sbyte* q8 = (sbyte*)(y + 2);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
                sumi += ((qs[j] & 0x0F) - 8) * q8[j] + ((qs[j] >> 4) - 8) * q8[j + 16];
            acc = MathF.FusedMultiplyAdd(sumi, Fp16.ToFloat(x) * Fp16.ToFloat(y), acc);
        }
        return acc;
    }

    public static float ScalarIQ4_NL(byte* x, byte* y, int n)
    {
        ReadOnlySpan<sbyte> kv = Blocks.IQ4NLValues;
        float acc = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.IQ4_NL, y += Blocks.Q8_0)
        {
            byte* qs = x + 2;
            sbyte* q8 = (sbyte*)(y + 2);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
                sumi += kv[qs[j] & 0xF] * q8[j] + kv[qs[j] >> 4] * q8[j + 16];
            acc = MathF.FusedMultiplyAdd(sumi, Fp16.ToFloat(x) * Fp16.ToFloat(y), acc);
        }
        return acc;
    }

    public static float ScalarQ4_K(byte* x, byte* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        float acc = 0, accMin = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            ScalarDot.Q4_KBlockSums(x, y, sc, mn, out int sumi, out int summ);
            float yd = *(float*)y;
            acc = MathF.FusedMultiplyAdd(sumi, Fp16.ToFloat(x) * yd, acc);
            accMin = MathF.FusedMultiplyAdd(summ, Fp16.ToFloat(x + 2) * yd, accMin);
        }
        return acc - accMin;
    }

    /// <summary>
    /// ggml_gemm_q4_K_8x8_q8_K's order (the AVX2 gemm, used for the token columns of a batch in groups of 4): the
    /// same integer sums, but one FMA per pair of sub-blocks (64 values) instead of one per super-block.
    /// </summary>
    public static float ScalarQ4_KGemm(byte* x, byte* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        float acc = 0, accMin = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            Blocks.UnpackScaleMinK4(x + 4, sc, mn);
            byte* q4 = x + 16;
            sbyte* q8 = (sbyte*)(y + 4);
            short* bsums = (short*)(y + 260);
            float yd = *(float*)y;
            float d = Fp16.ToFloat(x) * yd, dmin = Fp16.ToFloat(x + 2) * yd;
            for (int j = 0; j < 4; j++, q4 += 32, q8 += 64)
            {
                int s1 = 0, s2 = 0;
                for (int l = 0; l < 32; l++)
                {
                    s1 += (q4[l] & 0xF) * q8[l];
                    s2 += (q4[l] >> 4) * q8[l + 32];
                }
                int summ = mn[2 * j] * (bsums[4 * j] + bsums[4 * j + 1]) + mn[2 * j + 1] * (bsums[4 * j + 2] + bsums[4 * j + 3]);
                acc = MathF.FusedMultiplyAdd(sc[2 * j] * s1 + sc[2 * j + 1] * s2, d, acc);
                accMin = MathF.FusedMultiplyAdd(summ, dmin, accMin);
            }
        }
        return acc - accMin;
    }

    public static delegate*<byte*, byte*, int, float> ScalarKernel(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &ScalarQ4_0,
        GgmlType.IQ4_NL => &ScalarIQ4_NL,
        GgmlType.Q4_K => &ScalarQ4_K,
        _ => throw new NotSupportedException($"{type} is not repacked."),
    };

    /// <summary>
    /// The repack-order kernel on the original rows for a matrix that has no packed copy (no AVX2, or repacking off):
    /// the portable Vector128 twin of <see cref="ScalarKernel"/> (the same floats, faster) unless the scalar path is
    /// active.
    /// </summary>
    public static delegate*<byte*, byte*, int, float> RowKernel(GgmlType type) =>
        KernelOptions.Active == KernelIsa.Scalar ? ScalarKernel(type) : type switch
        {
            GgmlType.Q4_0 => &PortableDot.Q4_0RepackOrder,
            GgmlType.IQ4_NL => &PortableDot.IQ4_NLRepackOrder,
            GgmlType.Q4_K => &PortableDot.Q4_KRepackOrder,
            _ => throw new NotSupportedException($"{type} is not repacked."),
        };

    /// <summary>The gemm-column twin of <see cref="RowKernel"/> (see <see cref="ScalarGemmKernel"/>).</summary>
    public static delegate*<byte*, byte*, int, float> RowGemmKernel(GgmlType type) =>
        !GemmOrderDiffers(type) ? RowKernel(type)
        : KernelOptions.Active == KernelIsa.Scalar ? &ScalarQ4_KGemm : &PortableDot.Q4_KGemmOrder;

    /// <summary>
    /// True when llama.cpp's repacked gemm accumulates in another order than its gemv for this type: Q4_K (one FMA per
    /// pair of sub-blocks); Q4_0 and IQ4_NL gemm accumulate like their gemv.
    /// </summary>
    public static bool GemmOrderDiffers(GgmlType type) => type == GgmlType.Q4_K;

    /// <summary>
    /// The kernel for the columns llama.cpp's repacked mul_mat sends through its gemm (a batch's first n - n % 4
    /// columns when n &gt;= 4; see <see cref="GemmColumns"/>).
    /// </summary>
    public static delegate*<byte*, byte*, int, float> ScalarGemmKernel(GgmlType type) =>
        GemmOrderDiffers(type) ? &ScalarQ4_KGemm : ScalarKernel(type);

    /// <summary>
    /// How many of a batch's <paramref name="tokens"/> columns llama.cpp's repacked mul_mat (forward_mul_mat_one_chunk)
    /// computes with gemm: groups of 4 when there are more than 3; the rest go through gemv one at a time.
    /// </summary>
    public static int GemmColumns(int tokens) => tokens > 3 ? tokens - tokens % 4 : 0;

    // ---------------- AVX2 kernels on the packed layout: 8 outputs per call ----------------

    /// <summary>Extra bytes per prepared activation row: Q4_0 needs 8·Σa per block (the nibble offset, folded out of the int16 sums).</summary>
    public static int ActivationExtraBytes(GgmlType type, int cols) => type == GgmlType.Q4_0 ? cols / 32 * 4 : 0;

    /// <summary>Fills the extra part of a prepared Q4_0 activation row (after its Q8_0 blocks) with 8·Σa per block.</summary>
    public static void PrepareExtra(GgmlType type, byte* act, int cols)
    {
        if (type != GgmlType.Q4_0) return;
        int nb = cols / 32;
        int* sums = (int*)(act + (long)nb * Blocks.Q8_0);
        for (int b = 0; b < nb; b++)
        {
            sbyte* q = (sbyte*)(act + b * Blocks.Q8_0 + 2);
            int s = 0;
            for (int i = 0; i < 32; i++) s += q[i];
            sums[b] = 8 * s;
        }
    }

    public static delegate*<byte*, byte*, int, float*, void> GroupKernel(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &Avx2Q4_0,
        GgmlType.IQ4_NL => &Avx2IQ4_NL,
        GgmlType.Q4_K => &Avx2Q4_K,
        _ => throw new NotSupportedException($"{type} is not repacked."),
    };

    /// <summary>The packed-layout twin of <see cref="ScalarGemmKernel"/>.</summary>
    public static delegate*<byte*, byte*, int, float*, void> GemmGroupKernel(GgmlType type) =>
        GemmOrderDiffers(type) ? &Avx2Q4_KGemm : GroupKernel(type);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(byte* fp16, float da) =>
        Avx.Multiply(Avx2Helpers.HalfToSingleFinite((short*)fp16), Vector256.Create(da));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2Q4_0(byte* w, byte* act, int n, float* y)
    {
        int nb = n / 32;
        int* corr = (int*)(act + (long)nb * Blocks.Q8_0);
        var m4 = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        Vector256<float> acc = Vector256<float>.Zero;
        byte* a = act;
        for (int b = 0; b < nb; b++, w += Q4_0GroupBlock, a += Blocks.Q8_0)
        {
            Avx2Helpers.PrefetchAhead(w, Q4_0GroupBlock);
            int* aq = (int*)(a + 2);
            Vector256<byte> v0 = Avx.LoadVector256(w + 16);
            Vector256<byte> v1 = Avx.LoadVector256(w + 48);
            Vector256<byte> v2 = Avx.LoadVector256(w + 80);
            Vector256<byte> v3 = Avx.LoadVector256(w + 112);
            Vector256<short> s = Avx2.MultiplyAddAdjacent(Avx2.And(v0, m4), Vector256.Create(aq[0]).AsSByte());
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(v1, m4), Vector256.Create(aq[1]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(v2, m4), Vector256.Create(aq[2]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(v3, m4), Vector256.Create(aq[3]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(Avx2.ShiftRightLogical(v0.AsUInt16(), 4).AsByte(), m4), Vector256.Create(aq[4]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(Avx2.ShiftRightLogical(v1.AsUInt16(), 4).AsByte(), m4), Vector256.Create(aq[5]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(Avx2.ShiftRightLogical(v2.AsUInt16(), 4).AsByte(), m4), Vector256.Create(aq[6]).AsSByte()));
            s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.And(Avx2.ShiftRightLogical(v3.AsUInt16(), 4).AsByte(), m4), Vector256.Create(aq[7]).AsSByte()));
            Vector256<int> isum = Avx2.Subtract(Avx2.MultiplyAddAdjacent(s, ones), Vector256.Create(corr[b]));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Scales(w, Fp16.ToFloat(a)), acc);
        }
        Avx.Store(y, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2IQ4_NL(byte* w, byte* act, int n, float* y)
    {
        int nb = n / 32;
        var m4 = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        Vector256<sbyte> lut = Vector256.Create(Vector128.Create(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, (sbyte)113));
        Vector256<float> acc = Vector256<float>.Zero;
        byte* a = act;
        for (int b = 0; b < nb; b++, w += Q4_0GroupBlock, a += Blocks.Q8_0)
        {
            Avx2Helpers.PrefetchAhead(w, Q4_0GroupBlock);
            int* aq = (int*)(a + 2);
            Vector256<int> isum = Vector256<int>.Zero;
            for (int p = 0; p < 4; p++)
            {
                Vector256<byte> v = Avx.LoadVector256(w + 16 + 32 * p);
                Vector256<sbyte> lo = Avx2.Shuffle(lut, Avx2.And(v, m4).AsSByte());
                Vector256<sbyte> hi = Avx2.Shuffle(lut, Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), m4).AsSByte());
                Vector256<sbyte> al = Vector256.Create(aq[p]).AsSByte();
                Vector256<sbyte> ah = Vector256.Create(aq[4 + p]).AsSByte();
                isum = Avx2.Add(isum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(lo), Avx2.Sign(al, lo)), ones));
                isum = Avx2.Add(isum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(hi), Avx2.Sign(ah, hi)), ones));
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Scales(w, Fp16.ToFloat(a)), acc);
        }
        Avx.Store(y, acc);
    }

    /// <summary>ggml_gemv_q4_K_8x8_q8_K's order: one FMA per super-block (d and dmin chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2Q4_K(byte* w, byte* act, int n, float* y) => Q4_K(w, act, n, y, gemmOrder: false);

    /// <summary>ggml_gemm_q4_K_8x8_q8_K's order: one FMA per pair of sub-blocks (see <see cref="ScalarQ4_KGemm"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2Q4_KGemm(byte* w, byte* act, int n, float* y) => Q4_K(w, act, n, y, gemmOrder: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4_K(byte* w, byte* act, int n, float* y, bool gemmOrder)
    {
        int nb = n / 256;
        var m4 = Vector256.Create((byte)0x0F);
        // pshufb mask: lane r (within each 128-bit half, r = 0..3 or 4..7) gets scale byte r as two int16
        Vector256<sbyte> dup = Vector256.Create(
            0, -128, 0, -128, 1, -128, 1, -128, 2, -128, 2, -128, 3, -128, 3, -128,
            4, -128, 4, -128, 5, -128, 5, -128, 6, -128, 6, -128, 7, -128, 7, -128);
        // lane r gets (min[2j][r], min[2j+1][r]) as int16 from the 16 bytes [min 2j rows 0-7, min 2j+1 rows 0-7]
        Vector256<sbyte> pairs = Vector256.Create(
            0, -128, 8, -128, 1, -128, 9, -128, 2, -128, 10, -128, 3, -128, 11, -128,
            4, -128, 12, -128, 5, -128, 13, -128, 6, -128, 14, -128, 7, -128, 15, -128);
        Vector256<float> acc = Vector256<float>.Zero, accMin = Vector256<float>.Zero;
        byte* a = act;
        for (int b = 0; b < nb; b++, w += Q4_KGroupBlock, a += Blocks.Q8_K)
        {
            Avx2Helpers.PrefetchAhead(w, Q4_KGroupBlock);
            float da = *(float*)a;
            int* aq = (int*)(a + 4);
            short* bsums = (short*)(a + 260);
            Vector256<int> isum = Vector256<int>.Zero;
            Vector256<int> imin = Vector256<int>.Zero;
            byte* q = w + 160;
            for (int j = 0; j < 4; j++, q += 256, aq += 16)
            {
                Vector256<short> s0 = Vector256<short>.Zero, s1 = Vector256<short>.Zero;
                for (int p = 0; p < 8; p++)
                {
                    Vector256<byte> v = Avx.LoadVector256(q + 32 * p);
                    s0 = Avx2.Add(s0, Avx2.MultiplyAddAdjacent(Avx2.And(v, m4), Vector256.Create(aq[p]).AsSByte()));
                    s1 = Avx2.Add(s1, Avx2.MultiplyAddAdjacent(Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), m4), Vector256.Create(aq[8 + p]).AsSByte()));
                }
                Vector256<short> sc0 = Avx2.Shuffle(Vector256.Create(*(ulong*)(w + 32 + 16 * j)).AsSByte(), dup).AsInt16();
                Vector256<short> sc1 = Avx2.Shuffle(Vector256.Create(*(ulong*)(w + 40 + 16 * j)).AsSByte(), dup).AsInt16();
                Vector256<int> isumPair = Avx2.Add(Avx2.MultiplyAddAdjacent(s0, sc0), Avx2.MultiplyAddAdjacent(s1, sc1));
                int bs = (bsums[4 * j] + bsums[4 * j + 1]) & 0xFFFF | (bsums[4 * j + 2] + bsums[4 * j + 3]) << 16;
                Vector256<short> mins = Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(w + 96 + 16 * j)).AsSByte(), pairs).AsInt16();
                Vector256<int> iminPair = Avx2.MultiplyAddAdjacent(mins, Vector256.Create(bs).AsInt16());
                if (gemmOrder)
                {
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isumPair), Scales(w, da), acc);
                    accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(iminPair), Scales(w + 16, da), accMin);
                }
                else
                {
                    isum = Avx2.Add(isum, isumPair);
                    imin = Avx2.Add(imin, iminPair);
                }
            }
            if (!gemmOrder)
            {
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Scales(w, da), acc);
                accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(imin), Scales(w + 16, da), accMin);
            }
        }
        Avx.Store(y, Avx.Subtract(acc, accMin));
    }
}
