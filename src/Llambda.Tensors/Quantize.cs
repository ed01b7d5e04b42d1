using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>
/// Row quantizers. <see cref="Q8_0"/>, <see cref="Q8_1"/> and <see cref="Q8_K"/> quantize activations the way llama.cpp's
/// x86 CPU backend does (Q8_0/Q8_1: scale 127/amax, round half to even; Q8_K: quantize_row_q8_K_ref).
/// <see cref="Q8_0Reference"/> and <see cref="Q4_0Reference"/> are byte-exact with ggml's reference weight quantizers.
/// </summary>
public static unsafe class Quantize
{
    public static void Q8_0(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.Q8_0, src, dst, &QuantizeKernels.Q8_0);
    public static void Q8_1(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.Q8_1, src, dst, &QuantizeKernels.Q8_1);
    public static void Q8_K(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.Q8_K, src, dst, &QuantizeKernels.Q8_K);

    /// <summary>ggml's quantize_row_q8_0_ref (roundf, scale 1/d), for weights.</summary>
    public static void Q8_0Reference(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.Q8_0, src, dst, &QuantizeKernels.Q8_0Reference);

    /// <summary>ggml's quantize_row_q4_0_ref, for weights.</summary>
    public static void Q4_0Reference(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.Q4_0, src, dst, &QuantizeKernels.Q4_0Reference);

    /// <summary>f32 → fp16 (round to nearest even).</summary>
    public static void F16(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.F16, src, dst, &F16Kernel);

    /// <summary>f32 → bf16 (round to nearest even, ggml_fp32_to_bf16).</summary>
    public static void BF16(ReadOnlySpan<float> src, Span<byte> dst) => Run(GgmlType.BF16, src, dst, &BF16Kernel);

    /// <summary>Quantizes a row to <paramref name="type"/> (Q8_0 and Q8_1/Q8_K use the activation quantizers; Q4_0 the reference).</summary>
    public static void Row(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (type)
        {
            case GgmlType.Q8_0: Q8_0(src, dst); break;
            case GgmlType.Q8_1: Q8_1(src, dst); break;
            case GgmlType.Q8_K: Q8_K(src, dst); break;
            case GgmlType.Q4_0: Q4_0Reference(src, dst); break;
            case GgmlType.F16: F16(src, dst); break;
            case GgmlType.BF16: BF16(src, dst); break;
            case GgmlType.F32: src.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(dst)); break;
            default: throw new NotSupportedException($"Quantization to {type} is not supported.");
        }
    }

    private static void F16Kernel(float* x, byte* y, int n) => QuantizeKernels.F16(x, (ushort*)y, n);
    private static void BF16Kernel(float* x, byte* y, int n) => QuantizeKernels.BF16(x, (ushort*)y, n);

    private static void Run(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst, delegate*<float*, byte*, int, void> kernel)
    {
        long need = GgmlTypeInfo.RowBytes(type, src.Length);
        if (need < 0) throw new ArgumentException($"{src.Length} values is not a whole number of {type} blocks.", nameof(src));
        if (dst.Length < need) throw new ArgumentException($"Destination holds {dst.Length} bytes, {need} needed.", nameof(dst));
        fixed (float* s = src)
        fixed (byte* d = dst)
            kernel(s, d, src.Length);
    }
}
