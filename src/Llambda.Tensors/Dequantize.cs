using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>Dequantization of whole rows to f32 with ggml's dequantize_row_* arithmetic.</summary>
public static unsafe class Dequantize
{
    /// <summary>True for the types <see cref="Row"/> handles.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q4_0
        or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.IQ4_NL
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K;

    /// <summary>Dequantizes <c>dst.Length</c> values (a whole number of blocks) from <paramref name="src"/>.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        long need = GgmlTypeInfo.RowBytes(type, dst.Length);
        if (need < 0) throw new ArgumentException($"{dst.Length} values is not a whole number of {type} blocks.", nameof(dst));
        if (src.Length < need) throw new ArgumentException($"Source holds {src.Length} bytes, {need} needed.", nameof(src));
        fixed (byte* s = src)
        fixed (float* d = dst)
            DequantizeKernels.Row(type, s, d, dst.Length);
    }

    /// <summary>Pointer form of <see cref="Row"/> (no checks beyond the type).</summary>
    public static void Row(GgmlType type, byte* src, float* dst, int n) => DequantizeKernels.Row(type, src, dst, n);
}
