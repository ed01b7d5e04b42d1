using System.Runtime.Intrinsics.X86;

namespace Llambda.Tensors;

/// <summary>
/// Process-wide switches for kernel selection. <see cref="ForceScalar"/> makes every kernel take its plain scalar path
/// (the reference the SIMD paths are tested against); the default picks the fastest path the CPU supports.
/// </summary>
public static class KernelOptions
{
    private static bool s_forceScalar;

    /// <summary>When true every dot product, quantizer and dequantizer uses its scalar path.</summary>
    public static bool ForceScalar
    {
        get => Volatile.Read(ref s_forceScalar);
        set => Volatile.Write(ref s_forceScalar, value);
    }

    /// <summary>True when the AVX2+FMA kernels run (the CPU has them and <see cref="ForceScalar"/> is off).</summary>
    public static bool UseAvx2 => Avx2.IsSupported && Fma.IsSupported && !s_forceScalar;

    /// <summary>A short description of the instruction sets in use, for logs.</summary>
    public static string Describe() =>
        s_forceScalar ? "scalar (forced)"
        : Avx2.IsSupported && Fma.IsSupported ? (Avx512BW.IsSupported ? "AVX2+FMA (AVX-512 present, unused)" : "AVX2+FMA")
        : "scalar";
}
