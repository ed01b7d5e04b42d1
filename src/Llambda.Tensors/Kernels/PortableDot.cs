using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// Dot products on the cross-platform <see cref="Vector128"/> API: the arm64 path (AWS Graviton, where the JIT maps
/// Vector128 to NEON) and the path of any other CPU without AVX2+FMA. No platform intrinsics, so every line also runs,
/// and is tested, on x86 (where the JIT maps it to SSE/AVX).
/// <para>
/// The quantized kernels compute each block's integer sum exactly like ggml's NEON kernels without the dot-product
/// extension (i8 widened to i16, products in i16, widened to i32 and added) and then apply the block scales with the
/// scalar kernel's float expression, so they return <see cref="ScalarDot"/>'s floats bit for bit; the repack-order
/// kernels likewise return <see cref="Interleaved"/>'s scalar reference (llama.cpp's repacked order). Only the float
/// types (F32, F16, BF16) sum in another order: four 4-lane FMA chains, then the lanes.
/// </para>
/// There is no portable prefetch; arm64's hardware prefetchers follow the row streams well.
/// </summary>
internal static unsafe class PortableDot
{
    // ---------------- building blocks ----------------

    /// <summary>
    /// a[i]·b[i] + a[i+8]·b[i+8] in 8 int16 lanes: callers make sure the sums fit (|a| ≤ 64 does for any activation;
    /// an i8 × i8 pair does not, see <see cref="MulSum"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> MulPairs(Vector128<sbyte> a, Vector128<sbyte> b) =>
        Vector128.WidenLower(a) * Vector128.WidenLower(b) + Vector128.WidenUpper(a) * Vector128.WidenUpper(b);

    /// <summary>8 int16 lanes summed into 4 int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Widen(Vector128<short> p) => Vector128.WidenLower(p) + Vector128.WidenUpper(p);

    /// <summary>16 full-range i8 × i8 products in 4 int32 lanes (two products of -128·-128 would overflow int16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> MulSum(Vector128<sbyte> a, Vector128<sbyte> b) =>
        Widen(Vector128.WidenLower(a) * Vector128.WidenLower(b)) + Widen(Vector128.WidenUpper(a) * Vector128.WidenUpper(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> LoadI8(byte* p) => Vector128.Load((sbyte*)p);

    private static Vector128<byte> Low4 => Vector128.Create((byte)0x0F);

    /// <summary>16 bits → 16 bytes, 0xFF where the bit is set (bit k → byte k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> BytesFromBits(uint bits)
    {
        const ulong Spread = 0x0101010101010101UL;
        Vector128<byte> v = Vector128.Create((bits & 0xFF) * Spread, ((bits >> 8) & 0xFF) * Spread).AsByte();
        Vector128<byte> m = Vector128.Create(0x8040201008040201UL).AsByte();
        return Vector128.Equals(v & m, m);
    }

    /// <summary>8 fp16 values → two times 4 floats times 2^-112 (see <see cref="Avx2Helpers.HalfToSingleScaled"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfToSingleScaled(short* p, out Vector128<float> lo, out Vector128<float> hi)
    {
        Vector128<short> h = Vector128.Load(p);
        Vector128<int> mask = Vector128.Create(unchecked((int)0x8FFFE000));
        lo = ((Vector128.WidenLower(h) << 13) & mask).AsSingle(); // sign-extended: bits 15..31 = sign
        hi = ((Vector128.WidenUpper(h) << 13) & mask).AsSingle();
    }

    /// <summary>8 bf16 values → two times 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BF16ToSingle(ushort* p, out Vector128<float> lo, out Vector128<float> hi)
    {
        Vector128<ushort> h = Vector128.Load(p);
        lo = (Vector128.WidenLower(h) << 16).AsSingle();
        hi = (Vector128.WidenUpper(h) << 16).AsSingle();
    }

    // ---------------- float types ----------------
    // MultiplyAddEstimate: a fused multiply-add where the CPU has one (arm64, x86 with FMA), else multiply then add,
    // never the slow exact software fallback of FusedMultiplyAdd; the float kernels are only held to float noise.

    public static float F32(float* x, float* y, int n)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            a0 = Vector128.MultiplyAddEstimate(Vector128.Load(x + i), Vector128.Load(y + i), a0);
            a1 = Vector128.MultiplyAddEstimate(Vector128.Load(x + i + 4), Vector128.Load(y + i + 4), a1);
            a2 = Vector128.MultiplyAddEstimate(Vector128.Load(x + i + 8), Vector128.Load(y + i + 8), a2);
            a3 = Vector128.MultiplyAddEstimate(Vector128.Load(x + i + 12), Vector128.Load(y + i + 12), a3);
        }
        float sum = Vector128.Sum((a0 + a2) + (a1 + a3));
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>fp16 weights · activations prepared times 2^112 (<see cref="Fp16.ScaledActivationFactor"/>): exact products.</summary>
    public static float F16(ushort* x, float* y, int n)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            HalfToSingleScaled((short*)x + i, out var w0, out var w1);
            HalfToSingleScaled((short*)x + i + 8, out var w2, out var w3);
            a0 = Vector128.MultiplyAddEstimate(w0, Vector128.Load(y + i), a0);
            a1 = Vector128.MultiplyAddEstimate(w1, Vector128.Load(y + i + 4), a1);
            a2 = Vector128.MultiplyAddEstimate(w2, Vector128.Load(y + i + 8), a2);
            a3 = Vector128.MultiplyAddEstimate(w3, Vector128.Load(y + i + 12), a3);
        }
        double sum = Vector128.Sum((a0 + a2) + (a1 + a3));
        for (; i < n; i++) sum += Fp16.TimesScaledActivation(x[i], y[i]);
        return (float)sum;
    }

    public static float BF16(ushort* x, float* y, int n)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            BF16ToSingle(x + i, out var w0, out var w1);
            BF16ToSingle(x + i + 8, out var w2, out var w3);
            a0 = Vector128.MultiplyAddEstimate(w0, Vector128.Load(y + i), a0);
            a1 = Vector128.MultiplyAddEstimate(w1, Vector128.Load(y + i + 4), a1);
            a2 = Vector128.MultiplyAddEstimate(w2, Vector128.Load(y + i + 8), a2);
            a3 = Vector128.MultiplyAddEstimate(w3, Vector128.Load(y + i + 12), a3);
        }
        double sum = Vector128.Sum((a0 + a2) + (a1 + a3));
        for (; i < n; i++) sum += Fp16.BF16ToFloat(x[i]) * y[i];
        return (float)sum;
    }

    // ---------------- 32-value blocks × Q8_0 / Q8_1 ----------------

    /// <summary>The integer sum of one Q4_0 × Q8_0 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Q4_0Block(byte* x, byte* y)
    {
        Vector128<byte> q = Vector128.Load(x + 2);
        Vector128<sbyte> eight = Vector128.Create((sbyte)8);
        Vector128<sbyte> lo = (q & Low4).AsSByte() - eight;
        Vector128<sbyte> hi = (q >>> 4).AsSByte() - eight;
        // |value| <= 8: four products per int16 lane stay under 2^12
        return Vector128.Sum(Widen(MulPairs(lo, LoadI8(y + 2)) + MulPairs(hi, LoadI8(y + 18))));
    }

    public static float Q4_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_0, y += Blocks.Q8_0)
            sumf += Q4_0Block(x, y) * Fp16.ToFloat(x) * Fp16.ToFloat(y);
        return sumf;
    }

    public static float Q8_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q8_0, y += Blocks.Q8_0)
        {
            int sumi = Vector128.Sum(MulSum(LoadI8(x + 2), LoadI8(y + 2)) + MulSum(LoadI8(x + 18), LoadI8(y + 18)));
            sumf += sumi * (Fp16.ToFloat(x) * Fp16.ToFloat(y));
        }
        return sumf;
    }

    public static float Q4_1(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_1, y += Blocks.Q8_1)
        {
            Vector128<byte> q = Vector128.Load(x + 4);
            // values <= 15: four products per int16 lane stay under 2^13
            int sumi = Vector128.Sum(Widen(MulPairs((q & Low4).AsSByte(), LoadI8(y + 4)) + MulPairs((q >>> 4).AsSByte(), LoadI8(y + 20))));
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi + Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
        }
        return sumf;
    }

    public static float Q5_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        Vector128<byte> f0 = Vector128.Create((byte)0xF0);
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_0, y += Blocks.Q8_0)
        {
            uint qh = *(uint*)(x + 2);
            Vector128<byte> q = Vector128.Load(x + 6);
            // a clear 5th bit means value - 16: the nibble with 0xF0 above it, read as a signed byte
            Vector128<sbyte> lo = ((q & Low4) | Vector128.AndNot(f0, BytesFromBits(qh))).AsSByte();
            Vector128<sbyte> hi = ((q >>> 4) | Vector128.AndNot(f0, BytesFromBits(qh >> 16))).AsSByte();
            // |value| <= 16: four products per int16 lane stay under 2^14
            int sumi = Vector128.Sum(Widen(MulPairs(lo, LoadI8(y + 2)) + MulPairs(hi, LoadI8(y + 18))));
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi;
        }
        return sumf;
    }

    public static float Q5_1(byte* x, byte* y, int n)
    {
        float sumf = 0;
        Vector128<byte> b10 = Vector128.Create((byte)0x10);
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_1, y += Blocks.Q8_1)
        {
            uint qh = *(uint*)(x + 4);
            Vector128<byte> q = Vector128.Load(x + 8);
            Vector128<sbyte> lo = ((q & Low4) | (BytesFromBits(qh) & b10)).AsSByte();
            Vector128<sbyte> hi = ((q >>> 4) | (BytesFromBits(qh >> 16) & b10)).AsSByte();
            // values <= 31: four products per int16 lane stay under 2^14
            int sumi = Vector128.Sum(Widen(MulPairs(lo, LoadI8(y + 4)) + MulPairs(hi, LoadI8(y + 20))));
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi + Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
        }
        return sumf;
    }

    /// <summary>The integer sum of one IQ4_NL × Q8_0 block (<paramref name="table"/>: <see cref="Blocks.IQ4NLValues"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IQ4_NLBlock(byte* x, byte* y, Vector128<sbyte> table)
    {
        Vector128<byte> q = Vector128.Load(x + 2);
        Vector128<sbyte> lo = Vector128.ShuffleNative(table, (q & Low4).AsSByte()); // indices 0..15: a table lookup
        Vector128<sbyte> hi = Vector128.ShuffleNative(table, (q >>> 4).AsSByte());
        // |value| <= 127: only a pair of products fits an int16 lane
        return Vector128.Sum(Widen(MulPairs(lo, LoadI8(y + 2))) + Widen(MulPairs(hi, LoadI8(y + 18))));
    }

    public static float IQ4_NL(byte* x, byte* y, int n)
    {
        Vector128<sbyte> table = Vector128.Create(Blocks.IQ4NLValues);
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.IQ4_NL, y += Blocks.Q8_0)
            sumf += Fp16.ToFloat(x) * Fp16.ToFloat(y) * IQ4_NLBlock(x, y, table);
        return sumf;
    }

    // ---------------- k-quants × Q8_K ----------------

    public static float Q2_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        Vector128<byte> m3 = Vector128.Create((byte)3);
        for (int b = 0; b < n / 256; b++, x += Blocks.Q2_K, y += Blocks.Q8_K)
        {
            byte* sc = x;
            sbyte* q8 = (sbyte*)(y + 4);
            short* bsums = (short*)(y + 260);
            // the mins (high nibbles) times the 16 block sums: each product fits int16 (15 · 16 · 128), a pair does not
            Vector128<byte> mins = Vector128.Load(sc) >>> 4;
            Vector128<short> m0 = Vector128.WidenLower(mins).AsInt16() * Vector128.Load(bsums);
            Vector128<short> m1 = Vector128.WidenUpper(mins).AsInt16() * Vector128.Load(bsums + 8);
            int summs = Vector128.Sum(Widen(m0) + Widen(m1));
            float yd = *(float*)y;
            float dall = yd * Fp16.ToFloat(x + 80);
            float dmin = yd * Fp16.ToFloat(x + 82);
            Vector128<int> isum = default;
            for (int half = 0; half < 2; half++)
            {
                Vector128<byte> qa = Vector128.Load(x + 16 + 32 * half);
                Vector128<byte> qb = Vector128.Load(x + 32 + 32 * half);
                for (int j = 0; j < 4; j++)
                {
                    int isc = 8 * half + 2 * j;
                    sbyte* q = q8 + 128 * half + 32 * j;
                    Vector128<sbyte> va = (qa & m3).AsSByte();
                    Vector128<sbyte> vb = (qb & m3).AsSByte();
                    qa >>>= 2; // the next 2 bits (a constant shift)
                    qb >>>= 2;
                    // values <= 3, scales <= 15: a pair of products times its scale, and two of those, fit int16
                    isum += Widen(MulPairs(va, Vector128.Load(q)) * Vector128.Create((short)(sc[isc] & 0xF))
                                + MulPairs(vb, Vector128.Load(q + 16)) * Vector128.Create((short)(sc[isc + 1] & 0xF)));
                }
            }
            sumf += dall * Vector128.Sum(isum) - dmin * summs;
        }
        return sumf;
    }

    public static float Q3_K(byte* x, byte* y, int n)
    {
        sbyte* scales = stackalloc sbyte[16];
        float sumf = 0;
        Vector128<byte> m3 = Vector128.Create((byte)3);
        Vector128<byte> four = Vector128.Create((byte)4);
        for (int b = 0; b < n / 256; b++, x += Blocks.Q3_K, y += Blocks.Q8_K)
        {
            Blocks.UnpackScalesQ3K(x + 96, scales);
            sbyte* q8 = (sbyte*)(y + 4);
            Vector128<byte> hmA = Vector128.Load(x);
            Vector128<byte> hmB = Vector128.Load(x + 16);
            Vector128<int> sumi = default;
            for (int half = 0; half < 2; half++)
            {
                Vector128<byte> qa = Vector128.Load(x + 32 + 32 * half);
                Vector128<byte> qb = Vector128.Load(x + 48 + 32 * half);
                for (int j = 0; j < 4; j++)
                {
                    int isc = 8 * half + 2 * j;
                    sbyte* q = q8 + 128 * half + 32 * j;
                    Vector128<byte> m = Vector128.Create((byte)(1 << (4 * half + j)));
                    // the 2 low bits, minus 4 where the high bit is clear (wraps to the signed value)
                    Vector128<sbyte> va = ((qa & m3) - (Vector128.Equals(hmA & m, Vector128<byte>.Zero) & four)).AsSByte();
                    Vector128<sbyte> vb = ((qb & m3) - (Vector128.Equals(hmB & m, Vector128<byte>.Zero) & four)).AsSByte();
                    qa >>>= 2; // the next 2 bits (a constant shift)
                    qb >>>= 2;
                    // signed 6-bit scales can take a pair of products past int16: scaled in int32
                    sumi += Widen(MulPairs(va, Vector128.Load(q))) * Vector128.Create((int)scales[isc])
                          + Widen(MulPairs(vb, Vector128.Load(q + 16))) * Vector128.Create((int)scales[isc + 1]);
                }
            }
            sumf += Fp16.ToFloat(x + 108) * *(float*)y * Vector128.Sum(sumi);
        }
        return sumf;
    }

    /// <summary>Σ min_j · (bsums[2j] + bsums[2j+1]) of a Q4_K/Q5_K super-block (mins packed as by <see cref="Blocks.UnpackScaleMinK4(byte*, out ulong, out ulong)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSums(ulong mins, short* bsums)
    {
        int summ = 0;
        for (int j = 0; j < 8; j++) summ += (byte)(mins >> (8 * j)) * (bsums[2 * j] + bsums[2 * j + 1]);
        return summ;
    }

    /// <summary>
    /// Sub-blocks 2j and 2j+1 of a Q4_K super-block (32 bytes at <paramref name="q4"/>: low nibbles, then high) times
    /// 64 activations, scaled by <paramref name="s1"/> and <paramref name="s2"/>: 4 int32 lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Q4_KPair(byte* q4, sbyte* q8, int s1, int s2)
    {
        Vector128<byte> a = Vector128.Load(q4), b = Vector128.Load(q4 + 16);
        // nibbles <= 15: four products per int16 lane stay under 2^13; the 6-bit scales apply in int32
        Vector128<int> lo = Widen(MulPairs((a & Low4).AsSByte(), Vector128.Load(q8)) + MulPairs((b & Low4).AsSByte(), Vector128.Load(q8 + 16)));
        Vector128<int> hi = Widen(MulPairs((a >>> 4).AsSByte(), Vector128.Load(q8 + 32)) + MulPairs((b >>> 4).AsSByte(), Vector128.Load(q8 + 48)));
        return lo * Vector128.Create(s1) + hi * Vector128.Create(s2);
    }

    /// <summary>The exact integer sums of one Q4_K × Q8_K super-block (see <see cref="ScalarDot.Q4_KBlockSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Q4_KBlockSums(byte* x, byte* y, out int summ)
    {
        Blocks.UnpackScaleMinK4(x + 4, out ulong scales, out ulong mins);
        summ = MinSums(mins, (short*)(y + 260));
        Vector128<int> acc = default;
        for (int j = 0; j < 4; j++)
            acc += Q4_KPair(x + 16 + 32 * j, (sbyte*)(y + 4 + 64 * j), (byte)(scales >> (16 * j)), (byte)(scales >> (16 * j + 8)));
        return Vector128.Sum(acc);
    }

    public static float Q4_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            int sumi = Q4_KBlockSums(x, y, out int summ);
            float yd = *(float*)y;
            sumf += Fp16.ToFloat(x) * yd * sumi - Fp16.ToFloat(x + 2) * yd * summ;
        }
        return sumf;
    }

    public static float Q5_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        Vector128<byte> b10 = Vector128.Create((byte)0x10);
        for (int b = 0; b < n / 256; b++, x += Blocks.Q5_K, y += Blocks.Q8_K)
        {
            Blocks.UnpackScaleMinK4(x + 4, out ulong scales, out ulong mins);
            int summ = MinSums(mins, (short*)(y + 260));
            Vector128<byte> hA = Vector128.Load(x + 16), hB = Vector128.Load(x + 32);
            byte* ql = x + 48;
            sbyte* q8 = (sbyte*)(y + 4);
            Vector128<int> acc = default;
            for (int j = 0; j < 4; j++, ql += 32, q8 += 64)
            {
                Vector128<byte> m1 = Vector128.Create((byte)(1 << (2 * j)));
                Vector128<byte> m2 = Vector128.Create((byte)(2 << (2 * j)));
                Vector128<byte> a = Vector128.Load(ql), c = Vector128.Load(ql + 16);
                Vector128<sbyte> loA = ((a & Low4) | (Vector128.Equals(hA & m1, m1) & b10)).AsSByte();
                Vector128<sbyte> loB = ((c & Low4) | (Vector128.Equals(hB & m1, m1) & b10)).AsSByte();
                Vector128<sbyte> hiA = ((a >>> 4) | (Vector128.Equals(hA & m2, m2) & b10)).AsSByte();
                Vector128<sbyte> hiB = ((c >>> 4) | (Vector128.Equals(hB & m2, m2) & b10)).AsSByte();
                // values <= 31: four products per int16 lane stay under 2^14; the 6-bit scales apply in int32
                Vector128<int> s1 = Widen(MulPairs(loA, Vector128.Load(q8)) + MulPairs(loB, Vector128.Load(q8 + 16)));
                Vector128<int> s2 = Widen(MulPairs(hiA, Vector128.Load(q8 + 32)) + MulPairs(hiB, Vector128.Load(q8 + 48)));
                acc += s1 * Vector128.Create((int)(byte)(scales >> (16 * j))) + s2 * Vector128.Create((int)(byte)(scales >> (16 * j + 8)));
            }
            float yd = *(float*)y;
            sumf += Fp16.ToFloat(x) * yd * Vector128.Sum(acc) - Fp16.ToFloat(x + 2) * yd * summ;
        }
        return sumf;
    }

    public static float Q6_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        Vector128<byte> m30 = Vector128.Create((byte)0x30);
        Vector128<sbyte> s32 = Vector128.Create((sbyte)32);
        for (int b = 0; b < n / 256; b++, x += Blocks.Q6_K, y += Blocks.Q8_K)
        {
            byte* ql = x;
            byte* qh = x + 128;
            sbyte* sc = (sbyte*)(x + 192);
            sbyte* q8 = (sbyte*)(y + 4);
            Vector128<int> acc = default;
            for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, q8 += 128)
            {
                for (int g = 0; g < 2; g++) // two groups of 16 within each 32, each with its own scales
                {
                    Vector128<byte> la = Vector128.Load(ql + 16 * g), lb = Vector128.Load(ql + 32 + 16 * g);
                    Vector128<byte> h = Vector128.Load(qh + 16 * g);
                    // 4 low bits from ql, 2 high bits from qh (bits 0-1, 2-3, 4-5, 6-7 for the four values), minus 32
                    Vector128<sbyte> v1 = ((la & Low4) | ((h << 4) & m30)).AsSByte() - s32;
                    Vector128<sbyte> v2 = ((lb & Low4) | ((h << 2) & m30)).AsSByte() - s32;
                    Vector128<sbyte> v3 = ((la >>> 4) | (h & m30)).AsSByte() - s32;
                    Vector128<sbyte> v4 = ((lb >>> 4) | ((h >>> 2) & m30)).AsSByte() - s32;
                    // |value| <= 32: a pair of products fits int16; the int8 scales apply in int32
                    acc += Widen(MulPairs(v1, Vector128.Load(q8 + 16 * g))) * Vector128.Create((int)sc[g])
                         + Widen(MulPairs(v2, Vector128.Load(q8 + 32 + 16 * g))) * Vector128.Create((int)sc[g + 2])
                         + Widen(MulPairs(v3, Vector128.Load(q8 + 64 + 16 * g))) * Vector128.Create((int)sc[g + 4])
                         + Widen(MulPairs(v4, Vector128.Load(q8 + 96 + 16 * g))) * Vector128.Create((int)sc[g + 6]);
                }
            }
            sumf += Fp16.ToFloat(x + 208) * *(float*)y * Vector128.Sum(acc);
        }
        return sumf;
    }

    // ---------------- llama.cpp's repacked order (see Interleaved), on the original rows ----------------

    /// <summary><see cref="Interleaved.ScalarQ4_0"/>: one FMA per block.</summary>
    public static float Q4_0RepackOrder(byte* x, byte* y, int n)
    {
        float acc = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_0, y += Blocks.Q8_0)
            acc = MathF.FusedMultiplyAdd(Q4_0Block(x, y), Fp16.ToFloat(x) * Fp16.ToFloat(y), acc);
        return acc;
    }

    /// <summary><see cref="Interleaved.ScalarIQ4_NL"/>: one FMA per block.</summary>
    public static float IQ4_NLRepackOrder(byte* x, byte* y, int n)
    {
        Vector128<sbyte> table = Vector128.Create(Blocks.IQ4NLValues);
        float acc = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.IQ4_NL, y += Blocks.Q8_0)
            acc = MathF.FusedMultiplyAdd(IQ4_NLBlock(x, y, table), Fp16.ToFloat(x) * Fp16.ToFloat(y), acc);
        return acc;
    }

    /// <summary><see cref="Interleaved.ScalarQ4_K"/>: one FMA per super-block, another chain for the mins.</summary>
    public static float Q4_KRepackOrder(byte* x, byte* y, int n)
    {
        float acc = 0, accMin = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            int sumi = Q4_KBlockSums(x, y, out int summ);
            float yd = *(float*)y;
            acc = MathF.FusedMultiplyAdd(sumi, Fp16.ToFloat(x) * yd, acc);
            accMin = MathF.FusedMultiplyAdd(summ, Fp16.ToFloat(x + 2) * yd, accMin);
        }
        return acc - accMin;
    }

    /// <summary><see cref="Interleaved.ScalarQ4_KGemm"/>: one FMA per pair of sub-blocks.</summary>
    public static float Q4_KGemmOrder(byte* x, byte* y, int n)
    {
        float acc = 0, accMin = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            Blocks.UnpackScaleMinK4(x + 4, out ulong scales, out ulong mins);
            short* bsums = (short*)(y + 260);
            float yd = *(float*)y;
            float d = Fp16.ToFloat(x) * yd, dmin = Fp16.ToFloat(x + 2) * yd;
            for (int j = 0; j < 4; j++)
            {
                int sumi = Vector128.Sum(Q4_KPair(x + 16 + 32 * j, (sbyte*)(y + 4 + 64 * j), (byte)(scales >> (16 * j)), (byte)(scales >> (16 * j + 8))));
                int summ = (byte)(mins >> (16 * j)) * (bsums[4 * j] + bsums[4 * j + 1])
                         + (byte)(mins >> (16 * j + 8)) * (bsums[4 * j + 2] + bsums[4 * j + 3]);
                acc = MathF.FusedMultiplyAdd(sumi, d, acc);
                accMin = MathF.FusedMultiplyAdd(summ, dmin, accMin);
            }
        }
        return acc - accMin;
    }
}
