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

    /// <summary>
    /// llama.cpp's repacked mul_mat computes a batch's first n - n % 4 columns with its gemm and the rest with gemv; for
    /// Q4_K the two accumulate differently (an FMA per 64 values vs per 256), so a column's result depends on its place.
    /// </summary>
    [Fact]
    public void Q4_K_batches_use_the_gemm_order_for_groups_of_4_columns_and_gemv_for_the_rest()
    {
        var rng = new Random(11);
        const int cols = 256 * 3, rows = 16, n = 6;
        long rb = GgmlTypeInfo.RowBytes(GgmlType.Q4_K, cols);
        var data = new byte[rb * rows];
        for (int r = 0; r < rows; r++) TestData.RandomRow(rng, GgmlType.Q4_K, cols).CopyTo(data, r * rb);
        float[] x = TestData.RandomFloats(rng, cols * n, 3f);
        using var owner = new RepackedWeights();
        fixed (byte* p = data)
        {
            WeightMatrix packed = owner.Repack(new WeightMatrix(GgmlType.Q4_K, rows, cols, p), null, 0);
            var batch = new float[rows * n];
            MatMul.MatMulBatch(packed, x, n, batch, null);
            Assert.Equal(4, Interleaved.GemmColumns(n));
            var act = new byte[VecDot.ActivationBytes(GgmlType.Q4_K, cols)];
            var single = new float[rows];
            int gemmDiffers = 0;
            for (int t = 0; t < n; t++)
            {
                VecDot.PrepareActivation(GgmlType.Q4_K, x.AsSpan(t * cols, cols), act);
                MatMul.MatVec(packed, x.AsSpan(t * cols, cols), single, null);
                for (int r = 0; r < rows; r++)
                {
                    float y = batch[t * rows + r];
                    fixed (byte* a = act)
                    {
                        float gemv = Interleaved.ScalarQ4_K(p + r * rb, a, cols), gemm = Interleaved.ScalarQ4_KGemm(p + r * rb, a, cols);
                        Assert.Equal(t < 4 ? gemm : gemv, y);
                        Assert.Equal(gemv, single[r]); // one column alone is always gemv
                        if (gemm != gemv) gemmDiffers++;
                    }
                }
            }
            Assert.True(gemmDiffers > 0, "the test data should tell the two orders apart");
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
