using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>
/// Quantizes weight rows the way llama.cpp's <c>llama-quantize</c> does without an importance matrix (ggml's
/// reference quantizers), byte for byte. This is for writing model files; activations use <see cref="Quantize"/>.
/// </summary>
public static unsafe class WeightQuantizer
{
    /// <summary>The types <see cref="Row"/> can produce.</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static bool IsSupported(GgmlType type) => SupportedTypes.Contains(type);

    /// <summary>
    /// Quantizes <paramref name="src"/> (whole blocks of <paramref name="type"/>) into <paramref name="dst"/>, which must
    /// hold <see cref="GgmlTypeInfo.RowBytes"/> bytes. Rows are independent, so callers may quantize rows in parallel.
    /// </summary>
    public static void Row(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (type)
        {
            case GgmlType.F32:
            case GgmlType.F16:
            case GgmlType.BF16:
                Quantize.Row(type, src, dst);
                return;
            case GgmlType.Q8_0: Quantize.Q8_0Reference(src, dst); return;
            case GgmlType.Q4_0: Quantize.Q4_0Reference(src, dst); return;
            case GgmlType.Q4_1: Run(type, src, dst, &WeightQuantizeKernels.Q4_1); return;
            case GgmlType.Q5_0: Run(type, src, dst, &WeightQuantizeKernels.Q5_0); return;
            case GgmlType.Q5_1: Run(type, src, dst, &WeightQuantizeKernels.Q5_1); return;
            case GgmlType.Q4_K: Run(type, src, dst, &WeightQuantizeKernels.Q4_K); return;
            case GgmlType.Q5_K: Run(type, src, dst, &WeightQuantizeKernels.Q5_K); return;
            case GgmlType.Q6_K: Run(type, src, dst, &WeightQuantizeKernels.Q6_K); return;
            default:
                throw new NotSupportedException(
                    $"Quantizing weights to {type} is not supported; supported: {string.Join(", ", SupportedTypes)}.");
        }
    }

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
