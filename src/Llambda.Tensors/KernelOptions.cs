using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llambda.Tensors;

/// <summary>The families of kernels, from the reference to the fastest.</summary>
public enum KernelIsa
{
    /// <summary>Plain scalar code: the reference every other path is tested against.</summary>
    Scalar,

    /// <summary>
    /// The <see cref="System.Runtime.Intrinsics.Vector128"/> dot products (Kernels/PortableDot.cs): NEON on arm64, SSE
    /// on x86 without AVX2; and attention's q·k; everything else (quantizers, softmax, attention's weighted sums) takes its scalar path.
    /// </summary>
    Portable,

    /// <summary>The AVX2+FMA kernels, with llama.cpp's x86 summation orders and repacked weights.</summary>
    Avx2,
}

/// <summary>
/// Process-wide switches for kernel selection. <see cref="ForceScalar"/> makes every kernel take its plain scalar path
/// (the reference the SIMD paths are tested against); otherwise <see cref="Selected"/> decides, by default the fastest
/// path the CPU supports, or the one named by the <c>LLAMBDA_KERNELS</c> environment variable (scalar, portable, avx2).
/// </summary>
public static class KernelOptions
{
    /// <summary>The environment variable read once at startup to pick the kernels: scalar, portable or avx2.</summary>
    public const string EnvironmentVariable = "LLAMBDA_KERNELS";

    private static bool s_forceScalar;
    private static readonly (KernelIsa Isa, string? Note) s_environment = FromEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static int s_selected = (int)s_environment.Isa;

    /// <summary>When true every dot product, quantizer and dequantizer uses its scalar path.</summary>
    public static bool ForceScalar
    {
        get => Volatile.Read(ref s_forceScalar);
        set => Volatile.Write(ref s_forceScalar, value);
    }

    /// <summary>The fastest kernels this CPU runs: AVX2+FMA, else Vector128 where the JIT accelerates it, else scalar.</summary>
    public static KernelIsa Best =>
        IsSupported(KernelIsa.Avx2) ? KernelIsa.Avx2 : Vector128.IsHardwareAccelerated ? KernelIsa.Portable : KernelIsa.Scalar;

    /// <summary>True when this CPU can run <paramref name="isa"/> (the portable kernels run anywhere, if slowly without SIMD).</summary>
    public static bool IsSupported(KernelIsa isa) => isa != KernelIsa.Avx2 || (Avx2.IsSupported && Fma.IsSupported);

    /// <summary>
    /// The kernels in use unless <see cref="ForceScalar"/> is set: <see cref="Best"/> or <c>LLAMBDA_KERNELS</c>'s choice
    /// at startup; tests and benchmarks set it to compare paths (matrices bound while another was selected keep their
    /// repacked copies or lack them, see <see cref="WeightMatrix.IsPacked"/>).
    /// </summary>
    public static KernelIsa Selected
    {
        get => (KernelIsa)Volatile.Read(ref s_selected);
        set
        {
            if (!IsSupported(value)) throw new NotSupportedException($"This CPU cannot run the {value} kernels.");
            Volatile.Write(ref s_selected, (int)value);
        }
    }

    /// <summary>The kernels that run now: <see cref="Selected"/>, or scalar when <see cref="ForceScalar"/> is set.</summary>
    public static KernelIsa Active => ForceScalar ? KernelIsa.Scalar : Selected;

    /// <summary>True when the AVX2+FMA kernels run (the CPU has them, they are selected and <see cref="ForceScalar"/> is off).</summary>
    public static bool UseAvx2 => Active == KernelIsa.Avx2;

    /// <summary>True when the portable Vector128 kernels run.</summary>
    public static bool UsePortable => Active == KernelIsa.Portable;

    /// <summary>A short description of the instruction sets in use, for logs.</summary>
    public static string Describe()
    {
        if (ForceScalar) return "scalar (forced)";
        KernelIsa isa = Selected;
        string what = isa switch
        {
            KernelIsa.Avx2 => Avx512BW.IsSupported ? "AVX2+FMA (AVX-512 present, unused)" : "AVX2+FMA",
            KernelIsa.Portable => $"portable Vector128 on {RuntimeInformation.ProcessArchitecture}"
                + (Vector128.IsHardwareAccelerated ? "" : " (not accelerated)"),
            _ => "scalar",
        };
        if (isa != Best) what += " (forced)";
        return s_environment.Note is null ? what : $"{what}; {s_environment.Note}";
    }

    /// <summary>The kernels named by <c>LLAMBDA_KERNELS</c> (null or empty: <see cref="Best"/>), and a note when it is ignored.</summary>
    internal static (KernelIsa Isa, string? Note) FromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return (Best, null);
        KernelIsa? isa = value.Trim().ToLowerInvariant() switch
        {
            "scalar" => KernelIsa.Scalar,
            "portable" => KernelIsa.Portable,
            "avx2" => KernelIsa.Avx2,
            _ => null,
        };
        if (isa is null) return (Best, $"{EnvironmentVariable}={value} ignored (scalar, portable or avx2)");
        if (!IsSupported(isa.Value)) return (Best, $"{EnvironmentVariable}={value} ignored (this CPU lacks AVX2+FMA)");
        return (isa.Value, null);
    }
}
