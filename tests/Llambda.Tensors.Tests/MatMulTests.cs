using Llambda.Gguf;

namespace Llambda.Tensors.Tests;

public unsafe class MatMulTests
{
    private static (byte[] data, int rows, int cols) RandomMatrix(Random rng, GgmlType type, int rows, int cols)
    {
        long rb = GgmlTypeInfo.RowBytes(type, cols);
        var data = new byte[rb * rows];
        for (int r = 0; r < rows; r++) TestData.RandomRow(rng, type, cols).CopyTo(data, r * rb);
        return (data, rows, cols);
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void MatVecEqualsRowDotsAndIsThreadCountIndependent(GgmlType type)
    {
        var rng = new Random(21 + (int)type);
        int cols = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 5, rows = 203; // odd row count
        var (data, _, _) = RandomMatrix(rng, type, rows, cols);
        float[] x = TestData.RandomFloats(rng, cols);
        var y1 = new float[rows];
        var y2 = new float[rows];
        using var pool = new WorkerPool(2);
        using var pool3 = new WorkerPool(3);
        fixed (byte* p = data)
        {
            var w = new WeightMatrix(type, rows, cols, p);
            MatMul.MatVec(w, x, y1, null);
            MatMul.MatVec(w, x, y2, pool);
            Assert.Equal(y1, y2);
            MatMul.MatVec(w, x, y2, pool3);
            Assert.Equal(y1, y2);
            var act = new byte[VecDot.ActivationBytes(type, cols)];
            VecDot.PrepareActivation(type, x, act);
            for (int r = 0; r < rows; r++)
                Assert.Equal(VecDot.Dot(type, w.RowSpan(r), act, cols), y1[r]);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void BatchEqualsMatVecPerToken(GgmlType type)
    {
        var rng = new Random(31 + (int)type);
        int cols = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 3, rows = 67, n = 5;
        var (data, _, _) = RandomMatrix(rng, type, rows, cols);
        float[] x = TestData.RandomFloats(rng, cols * n);
        var y = new float[rows * n];
        using var pool = new WorkerPool(2);
        fixed (byte* p = data)
        {
            var w = new WeightMatrix(type, rows, cols, p);
            MatMul.MatMulBatch(w, x, n, y, pool);
            var yt = new float[rows];
            // llama.cpp sums F32/F16/BF16 batches with llamafile's tinyBLAS (one FMA chain) but single columns with
            // vec_dot (four chains): the two agree to float rounding, not bit for bit
            bool sameKernel = type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16);
            for (int t = 0; t < n; t++)
            {
                MatMul.MatVec(w, x.AsSpan(t * cols, cols), yt, null);
                float[] yb = y.AsSpan(t * rows, rows).ToArray();
                if (sameKernel) Assert.Equal(yt, yb);
                else
                    for (int r = 0; r < rows; r++)
                        Assert.True(Math.Abs(yt[r] - yb[r]) <= 1e-5f * (1 + Math.Abs(yt[r])), $"row {r}: {yt[r]} vs {yb[r]}");
            }
        }
    }

    [Fact]
    public void ScalarAndSimdMatVecAgree()
    {
        var rng = new Random(77);
        foreach (var type in TestData.WeightTypes)
        {
            int cols = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 4, rows = 33;
            var (data, _, _) = RandomMatrix(rng, type, rows, cols);
            float[] x = TestData.RandomFloats(rng, cols);
            var ySimd = new float[rows];
            fixed (byte* p = data)
            {
                var w = new WeightMatrix(type, rows, cols, p);
                MatMul.MatVec(w, x, ySimd, null);
                float[] yScalar = TestData.Scalar(() => { var y = new float[rows]; MatMul.MatVec(w, x, y, null); return y; });
                float[] wd = TestData.Dequant(type, data, rows * cols);
                for (int r = 0; r < rows; r++)
                {
                    double mag = 0;
                    for (int c = 0; c < cols; c++) mag += Math.Abs(wd[r * cols + c] * x[c]);
                    Assert.True(Math.Abs(ySimd[r] - yScalar[r]) <= 1e-5 * mag + 1e-6, $"{type} row {r}: {ySimd[r]} vs {yScalar[r]}");
                }
            }
        }
    }
}

public class WorkerPoolTests
{
    private struct CountJob : IParallelJob
    {
        public int[] Hits;
        public void Execute(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryIndexRunsExactlyOnce(int threads)
    {
        using var pool = new WorkerPool(threads, spinMicroseconds: 50);
        var rng = new Random(1);
        for (int iter = 0; iter < 500; iter++)
        {
            int n = rng.Next(0, 300), chunk = rng.Next(1, 20);
            var job = new CountJob { Hits = new int[n] };
            pool.Run(ref job, n, chunk);
            Assert.All(job.Hits, h => Assert.Equal(1, h));
            if (iter % 100 == 0) Thread.Sleep(5); // let workers fall asleep sometimes
        }
    }

    [Fact]
    public void DelegateFormAndExceptions()
    {
        using var pool = new WorkerPool(2);
        long total = 0;
        var box = new StrongBox(0);
        pool.Run(box, 1000, 10, static (b, s, e) => { for (int i = s; i < e; i++) Interlocked.Add(ref b.Value, i); });
        total = box.Value;
        Assert.Equal(999L * 1000 / 2, total);
        Assert.Throws<InvalidOperationException>(() =>
            pool.Run(0, 100, 1, static (_, s, _) => { if (s == 57) throw new InvalidOperationException(); }));
        // the pool still works afterwards
        var job = new CountJob { Hits = new int[100] };
        pool.Run(ref job, 100, 3);
        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    private sealed class StrongBox(long v) { public long Value = v; }
}
