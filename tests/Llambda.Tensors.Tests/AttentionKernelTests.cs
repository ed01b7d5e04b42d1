namespace Llambda.Tensors.Tests;

/// <summary>The batched attention kernels against the one-output-at-a-time definitions they must equal bit for bit.</summary>
public unsafe class AttentionKernelTests
{
    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 8)]
    [InlineData(64, 37)]
    [InlineData(128, 17)]
    [InlineData(32, 9)]
    [InlineData(96, 24)]
    [InlineData(80, 11)] // not a multiple of 32: one dot at a time
    public void ScoresEqualOneDotPerPosition(int n, int positions)
    {
        var rng = new Random(n * 31 + positions);
        const int Heads = 3; // keys of other heads sit between one position's head and the next
        float[] keys = TestData.RandomFloats(rng, positions * Heads * n, 2f);
        float[] q = TestData.RandomFloats(rng, n, 2f);
        var scores = new float[positions];
        fixed (float* pk = keys) fixed (float* pq = q) fixed (float* ps = scores)
        {
            float* head = pk + n; // the second head
            AttentionKernels.Scores(head, Heads * n, pq, n, positions, ps);
            for (int p = 0; p < positions; p++)
            {
                float expect = AttentionKernels.DotF32(head + (long)p * Heads * n, pq, n);
                Assert.Equal(BitConverter.SingleToUInt32Bits(expect), BitConverter.SingleToUInt32Bits(scores[p]));
            }
        }
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 7)]
    [InlineData(64, 8)]
    [InlineData(64, 45)]
    [InlineData(128, 16)]
    [InlineData(8, 3)]
    public void BatchOrderWeightedSumIsTinyBlasOrder(int len, int positions)
    {
        if (!KernelOptions.UseAvx2) return; // the order is the AVX2 build's (tinyBLAS); the scalar path sums in double
        var rng = new Random(len * 7 + positions);
        const int Stride = 3 * 64 + 8;
        float[] values = TestData.RandomFloats(rng, positions * Stride + len, 3f);
        float[] weights = TestData.RandomFloats(rng, positions, 1f);
        var output = new float[len];
        fixed (float* pv = values) fixed (float* pw = weights) fixed (float* po = output)
            AttentionKernels.WeightedSum(pw, pv, Stride, positions, po, len, batchOrder: true);
        for (int d = 0; d < len; d++)
        {
            // tinyBLAS: one 8-lane FMA chain over the positions (position p in lane p % 8), then hsum_float_8
            var lane = new float[8];
            for (int p = 0; p < positions; p++)
                lane[p % 8] = MathF.FusedMultiplyAdd(values[p * Stride + d], weights[p], lane[p % 8]);
            float expect = ((lane[4] + lane[0]) + (lane[6] + lane[2])) + ((lane[5] + lane[1]) + (lane[7] + lane[3]));
            Assert.Equal(BitConverter.SingleToUInt32Bits(expect), BitConverter.SingleToUInt32Bits(output[d]));
        }
    }
}
