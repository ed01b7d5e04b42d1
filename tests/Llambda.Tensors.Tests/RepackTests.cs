using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors.Tests;

/// <summary>
/// llama.cpp's repacked order (Q4_0, IQ4_NL, Q4_K with a multiple of 8 rows): the AVX2 kernels on our 8-row interleaved
/// copy equal the scalar kernels on the original rows bit for bit, for one column and for batches, with any thread count.
/// </summary>
public unsafe class RepackTests
{
    public static TheoryData<GgmlType> RepackedTypes => new([GgmlType.Q4_0, GgmlType.IQ4_NL, GgmlType.Q4_K]);

    [Theory]
    [MemberData(nameof(RepackedTypes))]
    public void Packed_simd_kernels_equal_the_scalar_repack_order(GgmlType type)
    {
        var rng = new Random(7 + (int)type);
        int cols = GgmlTypeInfo.BlockSize(type) == 256 ? 256 * 3 : 32 * 11, rows = 8 * 13;
        long rb = GgmlTypeInfo.RowBytes(type, cols);
        var data = new byte[rb * rows];
        for (int r = 0; r < rows; r++) TestData.RandomRow(rng, type, cols).CopyTo(data, r * rb);
        using var pool = new WorkerPool(3);
        using var owner = new RepackedWeights();
        fixed (byte* p = data)
        {
            var plain = new WeightMatrix(type, rows, cols, p);
            Assert.True(plain.CanRepack);
            var ordered = new WeightMatrix(type, rows, cols, p) { RepackOrder = true };
            WeightMatrix packed = owner.Repack(plain, null, 0);
            Assert.Equal(KernelOptions.UseAvx2, packed.IsPacked);
            Assert.Equal(KernelOptions.UseAvx2 ? Interleaved.PackedBytes(type, rows, cols) : 0, owner.Bytes);
            foreach (int n in new[] { 1, 2, 5, 8 })
            {
                float[] x = TestData.RandomFloats(rng, cols * n, 3f);
                var expected = new float[rows * n];
                TestData.Scalar(() => { MatMul.MatMulBatch(ordered, x, n, expected, null); return 0; });
                var actual = new float[rows * n];
                MatMul.MatMulBatch(packed, x, n, actual, pool);
                Assert.Equal(expected, actual);
                var single = new float[rows * n];
                MatMul.MatMulBatch(packed, x, n, single, null);
                Assert.Equal(expected, single);
                // the repacked order differs from vec_dot's only by float rounding
                var vecDot = new float[rows * n];
                MatMul.MatMulBatch(plain, x, n, vecDot, null);
                for (int i = 0; i < vecDot.Length; i++)
                    Assert.True(Math.Abs(vecDot[i] - expected[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{i}: {vecDot[i]} vs {expected[i]}");
            }
        }
    }

    [Fact]
    public void Row_counts_that_are_not_a_multiple_of_8_are_not_repacked()
    {
        Assert.False(Interleaved.IsRepackedType(GgmlType.Q4_0, 12));
        Assert.False(Interleaved.IsRepackedType(GgmlType.Q8_0, 16));
        Assert.False(Interleaved.IsRepackedType(GgmlType.Q6_K, 16));
        Assert.True(Interleaved.IsRepackedType(GgmlType.Q4_K, 16));
    }
}
