using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Llambda.Tensors.Kernels;

/// <summary>fp16 / bf16 conversions with ggml's semantics (fp16 → f32 through a 64K table like ggml's CPU backend).</summary>
internal static unsafe class Fp16
{
    private static readonly float* s_table = BuildTable();

    private static float* BuildTable()
    {
        var t = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    /// <summary>
    /// 2^112, the fp16 → f32 exponent rebias. The F16 weights' prepared activation holds x (rounded to fp16) times
    /// this, so the SIMD kernels can use weights converted without the rebias (<see cref="Avx2Helpers.HalfToSingleScaled"/>);
    /// scaling by a power of two is exact, so every product, and so every sum, is bit for bit ggml's. The largest
    /// fp16 (65504) times 2^112 is still a finite float.
    /// </summary>
    public const float ScaledActivationFactor = 5.192296858534828e+33f;

    /// <summary>2^-112: a scaled activation value back to its fp16-rounded value, exactly.</summary>
    public const float ScaledActivationInverse = 1.925929944387236e-34f;

    /// <summary>
    /// One product of an fp16 weight with an activation value prepared times 2^112, as ggml rounds it: the activation
    /// is brought back exactly first, so the product is the same float for every finite, infinite or NaN input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TimesScaledActivation(ushort weight, float scaledActivation) =>
        ToFloat(weight) * (scaledActivation * ScaledActivationInverse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort h) => s_table[h];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(byte* p) => s_table[*(ushort*)p];

    /// <summary>f32 → fp16 bits, round to nearest even (ggml's GGML_FP32_TO_FP16 / F16C behaviour).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    /// <summary>bf16 bits → f32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToFloat(ushort h) => BitConverter.Int32BitsToSingle(h << 16);

    /// <summary>f32 → bf16 bits, round to nearest even; NaN stays quiet NaN (ggml_compute_fp32_to_bf16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBF16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
    }
}
