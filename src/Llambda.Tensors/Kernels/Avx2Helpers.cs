using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llambda.Tensors.Kernels;

/// <summary>Small AVX2 building blocks shared by the kernels (callers check <see cref="Avx2.IsSupported"/>).</summary>
internal static unsafe class Avx2Helpers
{
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
    /// large finite values (weights never hold them). Used by the F16 dot kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingleFinite(short* p)
    {
        Vector256<int> w = Avx2.ConvertToVector256Int32(p); // sign-extend: bits 15..31 = sign
        Vector256<int> bits = Avx2.And(Avx2.ShiftLeftLogical(w, 13), Vector256.Create(unchecked((int)0x8FFFE000)));
        return Avx.Multiply(bits.AsSingle(), Vector256.Create(5.192296858534828e+33f));
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
}
