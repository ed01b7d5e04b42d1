using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors.Tests;

/// <summary>
/// The register-tiled kernels (<see cref="Avx2Tiles"/>) must give every output bit for bit what the single-output
/// kernel they stand for gives: llama.cpp parity rests on each output's summation order.
/// </summary>
public unsafe class TileKernelTests
{
    private static bool HasAvx2 => Avx2.IsSupported && Fma.IsSupported;

    private static byte[] RandomMatrix(Random rng, GgmlType type, int rows, int cols, long rowBytes)
    {
        var data = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++) TestData.RandomRow(rng, type, cols).CopyTo(data, r * rowBytes);
        return data;
    }

    private static byte[] PrepareTokens(GgmlType type, float[] x, int n, int cols, int stride)
    {
        var act = new byte[(long)stride * n];
        for (int t = 0; t < n; t++) VecDot.PrepareActivation(type, x.AsSpan(t * cols, cols), act.AsSpan(t * stride, stride));
        return act;
    }

    private static void AssertBitEqual(float expected, float actual, string where) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{where}: {expected} vs {actual}");

    /// <summary>Row lengths that exercise each kernel's main loop and its tails (F16: n % 32 and n % 8).</summary>
    private static int[] ColumnCounts(GgmlType type) =>
        GgmlTypeInfo.BlockSize(type) == 1 ? [96, 104, 100, 8] : [Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 3];

    public static TheoryData<GgmlType> Types() => TestData.AllWeightTypes();

    [Theory]
    [MemberData(nameof(Types))]
    public void MatMulOutputsEqualTheSingleOutputKernel(GgmlType type)
    {
        var rng = new Random(401 + (int)type);
        using var pool = new WorkerPool(2);
        foreach (int cols in ColumnCounts(type))
        foreach (int rows in (int[])[1, 3, 4, 5, 7, 13, 61, 203])
        {
            long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
            byte[] data = RandomMatrix(rng, type, rows, cols, rowBytes);
            int stride = VecDot.ActivationBytes(type, cols);
            for (int n = 1; n <= 7; n++)
            {
                float[] x = TestData.RandomFloats(rng, cols * n);
                byte[] act = PrepareTokens(type, x, n, cols, stride);
                var y = new float[rows * n];
                var yPool = new float[rows * n];
                fixed (byte* pw = data)
                fixed (byte* pa = act)
                {
                    var w = new WeightMatrix(type, rows, cols, pw);
                    MatMul.MatMulBatch(w, x, n, y, null);
                    MatMul.MatMulBatch(w, x, n, yPool, pool);
                    var kernel = VecDot.GetKernel(type, batch: n >= 2);
                    for (int t = 0; t < n; t++)
                    for (int r = 0; r < rows; r++)
                    {
                        float expected = kernel(pw + r * rowBytes, pa + (long)t * stride, cols);
                        AssertBitEqual(expected, y[t * rows + r], $"{type} cols {cols} rows {rows} n {n}: row {r} token {t}");
                        AssertBitEqual(expected, yPool[t * rows + r], $"{type} cols {cols} rows {rows} n {n} (pool): row {r} token {t}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q6_K)]
    public void TileKernelsEqualTheSingleOutputKernelAtAnyStride(GgmlType type)
    {
        if (!KernelOptions.UseAvx2) return; // the AVX2 tiles against the AVX2 single-output kernels (not under LLAMBDA_KERNELS=portable)
        var rng = new Random(409 + (int)type);
        foreach (int cols in ColumnCounts(type))
        {
            // padded rows and activations: the kernels must honour the strides, not assume packed rows
            long rowBytes = GgmlTypeInfo.RowBytes(type, cols) + 40;
            int stride = VecDot.ActivationBytes(type, cols) + 24;
            byte[] data = RandomMatrix(rng, type, Avx2Tiles.Rows, cols, rowBytes);
            float[] x = TestData.RandomFloats(rng, cols * Avx2Tiles.Tokens, scale: 3f);
            byte[] act = PrepareTokens(type, x, Avx2Tiles.Tokens, cols, stride);
            const long yStride = Avx2Tiles.Rows + 3;
            var y = new float[yStride * Avx2Tiles.Tokens];
            fixed (byte* pw = data)
            fixed (byte* pa = act)
            fixed (float* py = y)
            {
                foreach (bool batch in (bool[])[false, true])
                {
                    var rowsKernel = Avx2Tiles.RowsKernel(type, batch);
                    if (rowsKernel == null) continue;
                    var single = VecDot.GetKernel(type, batch);
                    for (int t = 0; t < Avx2Tiles.Tokens; t++)
                    {
                        rowsKernel(pw, rowBytes, pa + t * stride, cols, py);
                        for (int r = 0; r < Avx2Tiles.Rows; r++)
                            AssertBitEqual(single(pw + r * rowBytes, pa + t * stride, cols), py[r], $"{type} rows (batch {batch}) cols {cols}: row {r} token {t}");
                    }
                }
                var tile = Avx2Tiles.TileKernel(type);
                Assert.True(tile != null);
                tile(pw, rowBytes, pa, stride, cols, py, yStride);
                var batchKernel = VecDot.GetKernel(type, batch: true);
                for (int t = 0; t < Avx2Tiles.Tokens; t++)
                for (int r = 0; r < Avx2Tiles.Rows; r++)
                    AssertBitEqual(batchKernel(pw + r * rowBytes, pa + t * stride, cols), py[t * yStride + r], $"{type} tile cols {cols}: row {r} token {t}");
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.Q4_K)]
    public void PackedBatchesEqualTheOneTokenGroupKernels(GgmlType type)
    {
        var rng = new Random(431 + (int)type);
        int cols = GgmlTypeInfo.BlockSize(type) == 256 ? 256 * 3 : 32 * 7;
        using var pool = new WorkerPool(2);
        using var owner = new RepackedWeights();
        foreach (int rows in (int[])[8, 24, 8 * 13])
        {
            long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
            byte[] data = RandomMatrix(rng, type, rows, cols, rowBytes);
            fixed (byte* p = data)
            {
                WeightMatrix packed = owner.Repack(new WeightMatrix(type, rows, cols, p), null, 0);
                for (int n = 1; n <= 7; n++)
                {
                    float[] x = TestData.RandomFloats(rng, cols * n, 3f);
                    var y = new float[rows * n];
                    var yPool = new float[rows * n];
                    MatMul.MatMulBatch(packed, x, n, y, null);
                    MatMul.MatMulBatch(packed, x, n, yPool, pool);
                    var one = new float[rows];
                    var four = new float[rows * 4];
                    for (int t = 0; t < n; t++)
                    {
                        if (t < Interleaved.GemmColumns(n) && Interleaved.GemmOrderDiffers(type))
                        {
                            // A gemm column (Q4_K): its order is the gemm's, whatever the batch; a batch of just its
                            // group of 4 is the reference (RepackTests checks that order against the scalar gemm).
                            int g = t - t % 4;
                            MatMul.MatMulBatch(packed, x.AsSpan(g * cols, 4 * cols), 4, four, null);
                            four.AsSpan((t - g) * rows, rows).CopyTo(one);
                        }
                        else
                        {
                            MatMul.MatVec(packed, x.AsSpan(t * cols, cols), one, null);
                        }
                        for (int r = 0; r < rows; r++)
                        {
                            AssertBitEqual(one[r], y[t * rows + r], $"{type} rows {rows} n {n}: row {r} token {t}");
                            AssertBitEqual(one[r], yPool[t * rows + r], $"{type} rows {rows} n {n} (pool): row {r} token {t}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ScalarAndSimdBatchesAgree()
    {
        var rng = new Random(419);
        foreach (var type in TestData.WeightTypes)
        {
            int cols = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 4, rows = 37, n = 5;
            byte[] data = RandomMatrix(rng, type, rows, cols, GgmlTypeInfo.RowBytes(type, cols));
            float[] x = TestData.RandomFloats(rng, cols * n);
            var ySimd = new float[rows * n];
            fixed (byte* p = data)
            {
                var w = new WeightMatrix(type, rows, cols, p);
                MatMul.MatMulBatch(w, x, n, ySimd, null);
                float[] yScalar = TestData.Scalar(() => { var y = new float[rows * n]; MatMul.MatMulBatch(w, x, n, y, null); return y; });
                float[] wd = TestData.Dequant(type, data, rows * cols);
                for (int t = 0; t < n; t++)
                for (int r = 0; r < rows; r++)
                {
                    double mag = 0;
                    for (int c = 0; c < cols; c++) mag += Math.Abs(wd[r * cols + c] * x[t * cols + c]);
                    float a = ySimd[t * rows + r], b = yScalar[t * rows + r];
                    Assert.True(Math.Abs(a - b) <= 1e-5 * mag + 1e-6, $"{type} row {r} token {t}: {a} vs {b}");
                }
            }
        }
    }
}
