using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>
/// Dot products between a weight row and a "prepared" activation row, with llama.cpp's CPU pairing of weight type to
/// activation (vec_dot) type: Q4_0/Q5_0/Q8_0/IQ4_NL → Q8_0, Q4_1/Q5_1 → Q8_1, k-quants → Q8_K, F16 → F16, BF16 → BF16,
/// F32 → F32. For the float types the prepared activation is stored as f32 values already rounded to the vec_dot type's
/// precision (F16 / BF16), which gives the same products as ggml while keeping the inner loop free of conversions;
/// F16's are also scaled by 2^112 (<see cref="Fp16.ScaledActivationFactor"/>), which the F16 kernels undo for free.
/// </summary>
public static unsafe class VecDot
{
    /// <summary>ggml's vec_dot_type for a weight type.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => weightType switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.F32 => GgmlType.F32,
        _ => throw new NotSupportedException($"No dot product for weight type {weightType}."),
    };

    /// <summary>True when <see cref="Dot(GgmlType, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int)"/> supports the weight type.</summary>
    public static bool IsSupported(GgmlType weightType) => weightType is GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0
        or GgmlType.IQ4_NL or GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K
        or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.F16 or GgmlType.BF16 or GgmlType.F32;

    /// <summary>Values per block of the weight type (a row's length must be a multiple).</summary>
    public static int BlockSize(GgmlType weightType) => GgmlTypeInfo.BlockSize(weightType);

    /// <summary>Bytes of a prepared activation row of <paramref name="n"/> values for this weight type.</summary>
    public static int ActivationBytes(GgmlType weightType, int n)
    {
        GgmlType a = ActivationType(weightType);
        if (a is GgmlType.F16 or GgmlType.BF16 or GgmlType.F32) return checked(n * 4);
        return checked((int)GgmlTypeInfo.RowBytes(a, n));
    }

    /// <summary>Quantizes / rounds <paramref name="x"/> into the activation format that <paramref name="weightType"/> rows dot with.</summary>
    public static void PrepareActivation(GgmlType weightType, ReadOnlySpan<float> x, Span<byte> dst)
    {
        CheckLength(weightType, x.Length);
        if (dst.Length < ActivationBytes(weightType, x.Length)) throw new ArgumentException("Destination too small.", nameof(dst));
        fixed (float* px = x)
        fixed (byte* pd = dst)
            Prepare(weightType, px, pd, x.Length);
    }

    /// <summary>Dot product of one weight row (<paramref name="n"/> values of <paramref name="weightType"/>) with a prepared activation.</summary>
    public static float Dot(GgmlType weightType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activation, int n)
    {
        CheckLength(weightType, n);
        if (weights.Length < GgmlTypeInfo.RowBytes(weightType, n)) throw new ArgumentException("Weight row too short.", nameof(weights));
        if (activation.Length < ActivationBytes(weightType, n)) throw new ArgumentException("Activation row too short.", nameof(activation));
        fixed (byte* pw = weights)
        fixed (byte* pa = activation)
            return GetKernel(weightType)(pw, pa, n);
    }

    internal static void CheckLength(GgmlType weightType, int n)
    {
        int bs = GgmlTypeInfo.BlockSize(weightType);
        if (n < 0 || n % bs != 0) throw new ArgumentException($"Row length {n} is not a multiple of {weightType}'s block size {bs}.");
    }

    internal static void Prepare(GgmlType weightType, float* x, byte* dst, int n)
    {
        switch (ActivationType(weightType))
        {
            case GgmlType.Q8_0: QuantizeKernels.Q8_0(x, dst, n); break;
            case GgmlType.Q8_1: QuantizeKernels.Q8_1(x, dst, n); break;
            case GgmlType.Q8_K: QuantizeKernels.Q8_K(x, dst, n); break;
            case GgmlType.F16: QuantizeKernels.RoundToF16Scaled(x, (float*)dst, n); break;
            case GgmlType.BF16: QuantizeKernels.RoundToBF16(x, (float*)dst, n); break;
            default: Buffer.MemoryCopy(x, dst, (long)n * 4, (long)n * 4); break;
        }
    }

    /// <summary>The dot kernel for a weight type on the path <see cref="KernelOptions.Active"/> names.</summary>
    internal static delegate*<byte*, byte*, int, float> GetKernel(GgmlType weightType) => KernelOptions.Active switch
    {
        KernelIsa.Avx2 => GetAvx2Kernel(weightType),
        KernelIsa.Portable => GetPortableKernel(weightType),
        _ => GetScalarKernel(weightType),
    };

    /// <summary>
    /// The kernel for one product of a matrix multiplication: <paramref name="batch"/> true when the activation holds
    /// two or more columns. llama.cpp's CPU backend uses other kernels there for some types (llamafile's tinyBLAS for
    /// F32/F16/BF16), whose per-output summation order differs from the single-column vec_dot; the AVX2 path mirrors
    /// it (the scalar and portable paths have no x86 order to follow and use their one kernel).
    /// </summary>
    internal static delegate*<byte*, byte*, int, float> GetKernel(GgmlType weightType, bool batch)
    {
        if (!KernelOptions.UseAvx2) return GetKernel(weightType);
        if (batch)
        {
            if (weightType == GgmlType.F32) return &Avx2F32Batch;
            if (weightType == GgmlType.F16) return &Avx2F16Batch;
            if (weightType == GgmlType.BF16) return &Avx2BF16Batch;
        }
        return GetAvx2Kernel(weightType);
    }

    internal static delegate*<byte*, byte*, int, float> GetScalarKernel(GgmlType t) => t switch
    {
        GgmlType.F32 => &ScalarF32,
        GgmlType.F16 => &ScalarF16,
        GgmlType.BF16 => &ScalarBF16,
        GgmlType.Q4_0 => &ScalarDot.Q4_0,
        GgmlType.Q4_1 => &ScalarDot.Q4_1,
        GgmlType.Q5_0 => &ScalarDot.Q5_0,
        GgmlType.Q5_1 => &ScalarDot.Q5_1,
        GgmlType.Q8_0 => &ScalarDot.Q8_0,
        GgmlType.IQ4_NL => &ScalarDot.IQ4_NL,
        GgmlType.Q2_K => &ScalarDot.Q2_K,
        GgmlType.Q3_K => &ScalarDot.Q3_K,
        GgmlType.Q4_K => &ScalarDot.Q4_K,
        GgmlType.Q5_K => &ScalarDot.Q5_K,
        GgmlType.Q6_K => &ScalarDot.Q6_K,
        _ => throw new NotSupportedException($"No dot product for weight type {t}."),
    };

    internal static delegate*<byte*, byte*, int, float> GetAvx2Kernel(GgmlType t) => t switch
    {
        GgmlType.F32 => &Avx2F32,
        GgmlType.F16 => &Avx2F16,
        GgmlType.BF16 => &Avx2BF16,
        GgmlType.Q4_0 => &Avx2Dot.Q4_0,
        GgmlType.Q4_1 => &Avx2Dot.Q4_1,
        GgmlType.Q5_0 => &Avx2Dot.Q5_0,
        GgmlType.Q5_1 => &Avx2Dot.Q5_1,
        GgmlType.Q8_0 => &Avx2Dot.Q8_0,
        GgmlType.IQ4_NL => &Avx2Dot.IQ4_NL,
        GgmlType.Q2_K => &Avx2Dot.Q2_K,
        GgmlType.Q3_K => &Avx2Dot.Q3_K,
        GgmlType.Q4_K => &Avx2Dot.Q4_K,
        GgmlType.Q5_K => &Avx2Dot.Q5_K,
        GgmlType.Q6_K => &Avx2Dot.Q6_K,
        _ => throw new NotSupportedException($"No dot product for weight type {t}."),
    };

    internal static delegate*<byte*, byte*, int, float> GetPortableKernel(GgmlType t) => t switch
    {
        GgmlType.F32 => &PortableF32,
        GgmlType.F16 => &PortableF16,
        GgmlType.BF16 => &PortableBF16,
        GgmlType.Q4_0 => &PortableDot.Q4_0,
        GgmlType.Q4_1 => &PortableDot.Q4_1,
        GgmlType.Q5_0 => &PortableDot.Q5_0,
        GgmlType.Q5_1 => &PortableDot.Q5_1,
        GgmlType.Q8_0 => &PortableDot.Q8_0,
        GgmlType.IQ4_NL => &PortableDot.IQ4_NL,
        GgmlType.Q2_K => &PortableDot.Q2_K,
        GgmlType.Q3_K => &PortableDot.Q3_K,
        GgmlType.Q4_K => &PortableDot.Q4_K,
        GgmlType.Q5_K => &PortableDot.Q5_K,
        GgmlType.Q6_K => &PortableDot.Q6_K,
        _ => throw new NotSupportedException($"No dot product for weight type {t}."),
    };

    private static float ScalarF32(byte* x, byte* y, int n) => ScalarDot.F32((float*)x, (float*)y, n);
    private static float ScalarF16(byte* x, byte* y, int n) => ScalarDot.F16((ushort*)x, (float*)y, n);
    private static float ScalarBF16(byte* x, byte* y, int n) => ScalarDot.BF16((ushort*)x, (float*)y, n);
    private static float PortableF32(byte* x, byte* y, int n) => PortableDot.F32((float*)x, (float*)y, n);
    private static float PortableF16(byte* x, byte* y, int n) => PortableDot.F16((ushort*)x, (float*)y, n);
    private static float PortableBF16(byte* x, byte* y, int n) => PortableDot.BF16((ushort*)x, (float*)y, n);
    private static float Avx2F32(byte* x, byte* y, int n) => Avx2Dot.F32((float*)x, (float*)y, n);
    private static float Avx2F16(byte* x, byte* y, int n) => Avx2Dot.F16((ushort*)x, (float*)y, n);
    private static float Avx2BF16(byte* x, byte* y, int n) => Avx2Dot.BF16((ushort*)x, (float*)y, n);
    private static float Avx2F32Batch(byte* x, byte* y, int n) => Avx2Dot.F32Batch((float*)x, (float*)y, n);
    private static float Avx2F16Batch(byte* x, byte* y, int n) => Avx2Dot.F16Batch((ushort*)x, (float*)y, n);
    private static float Avx2BF16Batch(byte* x, byte* y, int n) => Avx2Dot.BF16Batch((ushort*)x, (float*)y, n);
}
