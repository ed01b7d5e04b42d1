using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llambda.Tensors.Kernels;

/// <summary>Small AVX2 building blocks shared by the kernels (callers check <see cref="Avx2.IsSupported"/>).</summary>
internal static unsafe class Avx2Helpers
{
    /// <summary>
    /// How far ahead of the weights being read the decode kernels ask for the next ones. Decode streams every weight
    /// once, and a core alone keeps too few cache misses in flight to fill the memory bus (the hardware prefetcher
    /// also stops at 4 KiB page ends); a software prefetch 1 KiB ahead took Q4_0/Q8_0 decode from 60-75% to 80-97%
    /// of the measured read bandwidth on the bench machine (docs/benchmarks.md).
    /// </summary>
    public const int PrefetchDistance = 1024;

    /// <summary>Asks for the cache line <see cref="PrefetchDistance"/> bytes after <paramref name="p"/>; never faults.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(void* p) => Sse.Prefetch0((byte*)p + PrefetchDistance);

    /// <summary><see cref="PrefetchAhead"/> for the <paramref name="bytes"/> after <paramref name="p"/> (one call per 64 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchAhead(void* p, int bytes)
    {
        for (int o = 0; o < bytes; o += 64) Sse.Prefetch0((byte*)p + PrefetchDistance + o);
    }

    /// <summary>8 fp16 values → 8 floats, exact (normals, subnormals, inf and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        Vector256<int> w = Avx2.ConvertToVector256Int32(h);
        Vector256<int> sign = Avx2.ShiftLeftLogical(Avx2.And(w, Vector256.Create(0x8000)), 16);
        Vector256<int> em = Avx2.And(w, Vector256.Create(0x7fff));
        Vector256<int> shifted = Avx2.ShiftLeftLogical(em, 13);
        // exponent rebias by multiplying with 2^112: exact for normals and subnormals
        Vector256<float> f = Avx.Multiply(shifted.AsSingle(), Vector256.Create(5.192296858534828e+33f));
        Vector256<int> infNan = Avx2.CompareGreaterThan(em, Vector256.Create(0x7bff));
        Vector256<int> special = Avx2.Or(shifted, Vector256.Create(0x7f800000));
        Vector256<int> bits = Avx2.BlendVariable(f.AsInt32().AsByte(), special.AsByte(), infNan.AsByte()).AsInt32();
        return Avx2.Or(bits, sign).AsSingle();
    }

    /// <summary>
    /// 8 fp16 values → 8 floats in four instructions: exact for normals, subnormals and zeros; ±inf/NaN come out as
    /// large finite values (weights and scales never hold them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingleFinite(short* p) =>
        Avx.Multiply(HalfToSingleScaled(p), Vector256.Create(Fp16.ScaledActivationFactor));

    /// <summary>
    /// 8 fp16 values → 8 floats times 2^-112, in three instructions: the half's bits moved into a float's place read
    /// as the value with its exponent bias off by 112. Exact for normals, subnormals and zeros (±inf/NaN come out
    /// finite: weights never hold them). The F16 dot kernels multiply these with the activation prepared times 2^112
    /// (<see cref="Fp16.ScaledActivationFactor"/>), so each product is w·x exactly and the rebias costs nothing:
    /// .NET has no F16C conversion (vcvtph2ps), and the multiply it saves shares the FMA ports.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingleScaled(short* p)
    {
        Vector256<int> w = Avx2.ConvertToVector256Int32(p); // sign-extend: bits 15..31 = sign
        return Avx2.And(Avx2.ShiftLeftLogical(w, 13), Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }

    /// <summary>8 bf16 values → 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BF16ToSingle(Vector128<ushort> h) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(h), 16).AsSingle();

    /// <summary>Sum of 8 floats in ggml's hsum_float_8 order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector256<float> x)
    {
        Vector128<float> r = Sse.Add(x.GetUpper(), x.GetLower());
        r = Sse.Add(r, Sse.MoveHighToLow(r, r));
        r = Sse.AddScalar(r, Sse3.MoveHighAndDuplicate(r));
        return r.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HorizontalSum(Vector256<int> x)
    {
        Vector128<int> r = Sse2.Add(x.GetLower(), x.GetUpper());
        r = Sse2.Add(r, Sse2.UnpackHigh(r.AsInt64(), r.AsInt64()).AsInt32());
        r = Sse2.Add(r, Sse2.Shuffle(r, 0b10_11_00_01));
        return r.ToScalar();
    }

    /// <summary>Signed×signed byte products summed in pairs then quads: 8 int32 (ggml's mul_sum_i8_pairs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MulSumI8(Vector256<sbyte> x, Vector256<sbyte> y)
    {
        Vector256<byte> ax = Avx2.Sign(x, x).AsByte();
        Vector256<sbyte> sy = Avx2.Sign(y, x);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ax, sy), Vector256<short>.One);
    }

    /// <summary>Unsigned×signed byte products summed in quads: 8 int32 (x must be &lt; 128 or products small enough).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MulSumU8(Vector256<byte> x, Vector256<sbyte> y) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, y), Vector256<short>.One);

    /// <summary>16 packed nibbles → 32 bytes in [0,15]: low nibbles first (values 0..15), then high nibbles (16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(byte* p)
    {
        Vector128<byte> t = Sse2.LoadVector128(p);
        Vector128<byte> hi = Sse2.ShiftRightLogical(t.AsUInt16(), 4).AsByte();
        return Avx2.And(Vector256.Create(t, hi), Vector256.Create((byte)0x0F));
    }

    /// <summary>Spreads 32 bits to 32 bytes, 0xFF where the bit is set (ggml's bytes_from_bits_32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> BytesFromBits(uint bits)
    {
        Vector256<byte> shuf = Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        Vector256<byte> bytes = Avx2.Shuffle(Vector256.Create(bits).AsByte(), shuf);
        bytes = Avx2.Or(bytes, Vector256.Create(0x7fbfdfeff7fbfdfeUL).AsByte());
        return Avx2.CompareEqual(bytes, Vector256<byte>.AllBitsSet);
    }

    /// <summary>The low-nibble mask.</summary>
    public static Vector256<byte> Low4 => Vector256.Create((byte)0x0F);

    /// <summary>Two scales as int16 lanes: <paramref name="lo"/> in the low 128 bits, <paramref name="hi"/> in the high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> TwoScales(int lo, int hi) =>
        Vector256.Create(Vector128.Create((short)lo), Vector128.Create((short)hi));

    // ---- Q6_K × Q8_K (ggml_vec_dot_q6_K_q8_K's integer work, shared by Avx2Dot.Q6_K and its tiles) ----

    /// <summary>The 128 unsigned 6-bit values of one half of a Q6_K block: 4 low bits from ql (64 bytes), 2 high from qh (32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Q6_KHalf(byte* ql, byte* qh, out Vector256<byte> v0, out Vector256<byte> v1, out Vector256<byte> v2, out Vector256<byte> v3)
    {
        Vector256<byte> m3 = Vector256.Create((byte)3);
        Vector256<byte> l1 = Avx.LoadVector256(ql);
        Vector256<byte> l2 = Avx.LoadVector256(ql + 32);
        Vector256<ushort> h = Avx.LoadVector256(qh).AsUInt16();
        Vector256<byte> h0 = Avx2.ShiftLeftLogical(Avx2.And(h.AsByte(), m3).AsUInt16(), 4).AsByte();
        Vector256<byte> h1 = Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 2).AsByte(), m3).AsUInt16(), 4).AsByte();
        Vector256<byte> h2 = Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 4).AsByte(), m3).AsUInt16(), 4).AsByte();
        Vector256<byte> h3 = Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 6).AsByte(), m3).AsUInt16(), 4).AsByte();
        v0 = Avx2.Or(Avx2.And(l1, Low4), h0);
        v1 = Avx2.Or(Avx2.And(l2, Low4), h1);
        v2 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(l1.AsUInt16(), 4).AsByte(), Low4), h2);
        v3 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(l2.AsUInt16(), 4).AsByte(), Low4), h3);
    }

    /// <summary>
    /// <paramref name="sumi"/> plus one half block's lane sums against 128 Q8_K activations at <paramref name="q8"/>:
    /// value × activation by pairs, then × the per-16 scales s0..s3 (<see cref="TwoScales"/>), before the -32 offset
    /// (<see cref="Q6_KOffset"/>). Exact integers, so callers sharing it get the same lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q6_KHalfSums(Vector256<byte> v0, Vector256<byte> v1, Vector256<byte> v2, Vector256<byte> v3,
        Vector256<short> s0, Vector256<short> s1, Vector256<short> s2, Vector256<short> s3, sbyte* q8, Vector256<int> sumi)
    {
        Vector256<short> p0 = Avx2.MultiplyAddAdjacent(v0, Avx.LoadVector256(q8));
        Vector256<short> p1 = Avx2.MultiplyAddAdjacent(v1, Avx.LoadVector256(q8 + 32));
        Vector256<short> p2 = Avx2.MultiplyAddAdjacent(v2, Avx.LoadVector256(q8 + 64));
        Vector256<short> p3 = Avx2.MultiplyAddAdjacent(v3, Avx.LoadVector256(q8 + 96));
        sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p0, s0));
        sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p1, s1));
        sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p2, s2));
        return Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p3, s3));
    }

    /// <summary>
    /// The -32 offset of a Q6_K block against the Q8_K block at <paramref name="q8k"/>, per lane: 32 · (bsums · scales),
    /// bsums at byte 260, <paramref name="scales16"/> the block's 16 scales as int16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q6_KOffset(byte* q8k, Vector256<short> scales16) =>
        Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(q8k + 260)), scales16), 5);
}
