using Llambda.Gguf;

namespace Llambda.Tensors.Tests;

internal static class TestData
{
    public static readonly GgmlType[] WeightTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static TheoryData<GgmlType> AllWeightTypes()
    {
        var d = new TheoryData<GgmlType>();
        foreach (var t in WeightTypes) d.Add(t);
        return d;
    }

    public static float[] RandomFloats(Random rng, int n, float scale = 1f)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    private static void PutHalf(byte[] b, int offset, float v) =>
        BitConverter.TryWriteBytes(b.AsSpan(offset, 2), BitConverter.HalfToUInt16Bits((Half)v));

    /// <summary>Random row of <paramref name="n"/> values: random quant bytes with sane fp16 scale fields.</summary>
    public static byte[] RandomRow(Random rng, GgmlType type, int n)
    {
        int bytes = checked((int)GgmlTypeInfo.RowBytes(type, n));
        var b = new byte[bytes];
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < n; i++) BitConverter.TryWriteBytes(b.AsSpan(4 * i, 4), (float)(rng.NextDouble() * 2 - 1));
                return b;
            case GgmlType.F16:
                for (int i = 0; i < n; i++) PutHalf(b, 2 * i, (float)(rng.NextDouble() * 2 - 1));
                return b;
            case GgmlType.BF16:
                for (int i = 0; i < n; i++)
                    BitConverter.TryWriteBytes(b.AsSpan(2 * i, 2), (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16));
                return b;
        }
        rng.NextBytes(b);
        int bs = GgmlTypeInfo.BlockBytes(type);
        for (int o = 0; o < bytes; o += bs)
        {
            float d = (float)(0.001 + rng.NextDouble() * 0.05);
            float m = (float)(rng.NextDouble() * 0.05);
            switch (type)
            {
                case GgmlType.Q4_0: case GgmlType.Q5_0: case GgmlType.Q8_0: case GgmlType.IQ4_NL: case GgmlType.Q8_1:
                    PutHalf(b, o, d); break;
                case GgmlType.Q4_1: case GgmlType.Q5_1:
                    PutHalf(b, o, d); PutHalf(b, o + 2, -m); break;
                case GgmlType.Q2_K:
                    PutHalf(b, o + 80, d); PutHalf(b, o + 82, m); break;
                case GgmlType.Q3_K:
                    PutHalf(b, o + 108, d); break;
                case GgmlType.Q4_K: case GgmlType.Q5_K:
                    PutHalf(b, o, d); PutHalf(b, o + 2, m); break;
                case GgmlType.Q6_K:
                    PutHalf(b, o + 208, d); break;
            }
        }
        return b;
    }

    public static float[] Dequant(GgmlType type, ReadOnlySpan<byte> row, int n)
    {
        var y = new float[n];
        Dequantize.Row(type, row, y);
        return y;
    }

    public static double RelRms(ReadOnlySpan<float> a, ReadOnlySpan<float> reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - reference[i];
            num += d * d;
            den += (double)reference[i] * reference[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    /// <summary>Runs <paramref name="body"/> with KernelOptions.ForceScalar set, restoring it afterwards.</summary>
    public static T Scalar<T>(Func<T> body)
    {
        lock (ScalarLock)
        {
            bool old = KernelOptions.ForceScalar;
            KernelOptions.ForceScalar = true;
            try { return body(); }
            finally { KernelOptions.ForceScalar = old; }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> with <see cref="KernelOptions.Selected"/> set to <paramref name="isa"/> (and
    /// <see cref="KernelOptions.ForceScalar"/> off), restoring both afterwards.
    /// </summary>
    public static T WithKernels<T>(KernelIsa isa, Func<T> body)
    {
        lock (ScalarLock)
        {
            KernelIsa oldIsa = KernelOptions.Selected;
            bool oldScalar = KernelOptions.ForceScalar;
            KernelOptions.Selected = isa;
            KernelOptions.ForceScalar = false;
            try { return body(); }
            finally
            {
                KernelOptions.Selected = oldIsa;
                KernelOptions.ForceScalar = oldScalar;
            }
        }
    }

    /// <summary>
    /// Tests that flip <see cref="KernelOptions.ForceScalar"/> or <see cref="KernelOptions.Selected"/> run one at a time
    /// (the assembly also disables parallel test runs: a test that reads the options must not see another's setting).
    /// </summary>
    public static readonly object ScalarLock = new();
}
