using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;
using Llambda.Tensors.Kernels;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Llambda.Tensors.Tests;

public unsafe class KernelTests
{
    private static readonly int[] BlockCounts = [1, 2, 3, 7, 16];

    private static bool HasAvx2 => Avx2.IsSupported && Fma.IsSupported;

    private static byte[] Prepare(GgmlType wt, float[] x, bool scalar)
    {
        var act = new byte[VecDot.ActivationBytes(wt, x.Length)];
        if (scalar) TestData.Scalar(() => { VecDot.PrepareActivation(wt, x, act); return 0; });
        else VecDot.PrepareActivation(wt, x, act);
        return act;
    }

    private static float Dot(delegate*<byte*, byte*, int, float> k, byte[] w, byte[] a, int n)
    {
        fixed (byte* pw = w) fixed (byte* pa = a) return k(pw, pa, n);
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void SimdDotEqualsScalarDot(GgmlType type)
    {
        if (!HasAvx2) return;
        var rng = new Random(1234 + (int)type);
        int bs = Math.Max(32, GgmlTypeInfo.BlockSize(type));
        foreach (int blocks in BlockCounts)
        {
            int n = bs * blocks + (GgmlTypeInfo.BlockSize(type) == 1 ? 5 : 0); // odd lengths for the float types
            byte[] w = TestData.RandomRow(rng, type, n);
            float[] x = TestData.RandomFloats(rng, n);
            byte[] act = Prepare(type, x, scalar: true);
            float s = Dot(VecDot.GetScalarKernel(type), w, act, n);
            float v = Dot(VecDot.GetAvx2Kernel(type), w, act, n);
            // bound the float-summation noise by the magnitude of the terms
            float[] wd = TestData.Dequant(type, w, n);
            double mag = 0;
            for (int i = 0; i < n; i++) mag += Math.Abs(wd[i] * x[i]);
            Assert.True(Math.Abs(s - v) <= 2e-6 * mag + 1e-6, $"{type} n={n}: scalar {s} simd {v} (mag {mag})");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void QuantizedDotMatchesDequantizedDot(GgmlType type)
    {
        var rng = new Random(99 + (int)type);
        int n = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 4;
        byte[] w = TestData.RandomRow(rng, type, n);
        float[] x = TestData.RandomFloats(rng, n);
        byte[] act = Prepare(type, x, scalar: false);
        float q = VecDot.Dot(type, w, act, n);

        float[] wd = TestData.Dequant(type, w, n);
        // exact reference: dequantized weights · dequantized activations, in double
        GgmlType at = VecDot.ActivationType(type);
        float[] xd = at is GgmlType.F16 or GgmlType.BF16 or GgmlType.F32
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(act).ToArray()
            : TestData.Dequant(at, act, n);
        if (at == GgmlType.F16)
            for (int i = 0; i < n; i++) xd[i] *= Fp16.ScaledActivationInverse; // prepared times 2^112
        double exact = 0, mag = 0, plain = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            exact += (double)wd[i] * xd[i];
            plain += (double)wd[i] * x[i];
            mag += Math.Abs((double)wd[i] * xd[i]);
            norm += (double)wd[i] * wd[i];
        }
        // fp16 rounding of the combined block scales costs ~1e-3 relative at most
        Assert.True(Math.Abs(q - exact) <= 2e-3 * mag + 1e-5, $"{type}: quantized dot {q} vs dequantized {exact} (mag {mag})");
        // against unquantized activations: within activation quantization error (|x| <= 1, step <= 1/127)
        double actErr = at is GgmlType.F32 ? 1e-6 : Math.Sqrt(norm) * Math.Sqrt(n) * (1.0 / 127);
        Assert.True(Math.Abs(q - plain) <= actErr + 2e-3 * mag, $"{type}: quantized dot {q} vs f32 {plain}");
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void SimdDequantizeEqualsScalar(GgmlType type)
    {
        var rng = new Random(7 + (int)type);
        int n = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 3 + (GgmlTypeInfo.BlockSize(type) == 1 ? 3 : 0);
        byte[] w = TestData.RandomRow(rng, type, n);
        float[] a = TestData.Dequant(type, w, n);
        float[] b = TestData.Scalar(() => TestData.Dequant(type, w, n));
        Assert.Equal(b, a);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void HalfToSingleIsExactForAllHalves()
    {
        if (!HasAvx2) return;
        var h = new ushort[65536];
        for (int i = 0; i < h.Length; i++) h[i] = (ushort)i;
        var f = new float[65536];
        fixed (ushort* ph = h) fixed (float* pf = f)
            for (int i = 0; i < 65536; i += 8)
                System.Runtime.Intrinsics.X86.Avx.Store(pf + i, Avx2Helpers.HalfToSingle(System.Runtime.Intrinsics.X86.Sse2.LoadVector128(ph + i)));
        for (int i = 0; i < 65536; i++)
        {
            float expect = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            if (float.IsNaN(expect)) Assert.True(float.IsNaN(f[i]), $"0x{i:x4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expect), BitConverter.SingleToUInt32Bits(f[i]));
        }
    }

    // all 65536 fp16 bit patterns through an 8-wide converter, in bit-pattern order
    private static float[] EveryHalf(delegate*<short*, System.Runtime.Intrinsics.Vector256<float>> convert)
    {
        var h = new short[65536];
        for (int i = 0; i < h.Length; i++) h[i] = (short)i;
        var f = new float[65536];
        fixed (short* ph = h) fixed (float* pf = f)
            for (int i = 0; i < 65536; i += 8)
                System.Runtime.Intrinsics.X86.Avx.Store(pf + i, convert(ph + i));
        return f;
    }

    [Fact]
    public void FastHalfToSingleIsExactForFiniteHalves()
    {
        if (!HasAvx2) return;
        float[] f = EveryHalf(&Avx2Helpers.HalfToSingleFinite);
        for (int i = 0; i < 65536; i++)
        {
            Half v = BitConverter.UInt16BitsToHalf((ushort)i);
            if (!Half.IsFinite(v)) continue;
            Assert.Equal(BitConverter.SingleToUInt32Bits((float)v), BitConverter.SingleToUInt32Bits(f[i]));
        }
    }

    [Fact]
    public void ScaledHalvesTimesScaledActivationsGiveTheExactProducts()
    {
        Assert.Equal(MathF.ScaleB(1f, 112), Fp16.ScaledActivationFactor);
        Assert.Equal(MathF.ScaleB(1f, -112), Fp16.ScaledActivationInverse);
        if (!HasAvx2) return;
        float[] f = EveryHalf(&Avx2Helpers.HalfToSingleScaled);
        // activations as the F16 prepare leaves them: fp16 values, from the smallest subnormal to the largest finite
        float[] xs = [MathF.ScaleB(1f, -24), -6.1e-5f, 0.3333f, -1f, 7.25f, -1000.5f, 65504f, -65504f];
        var rng = new Random(5);
        for (int i = 0; i < 65536; i++)
        {
            Half w = BitConverter.UInt16BitsToHalf((ushort)i);
            if (!Half.IsFinite(w)) continue;
            foreach (float x0 in xs)
            {
                float r = x0 * (float)(rng.NextDouble() + 0.5);
                float x = (float)(Half)(MathF.Abs(r) > 65504 ? x0 : r);
                float expect = MathF.FusedMultiplyAdd((float)w, x, 0.25f);
                float scaled = MathF.FusedMultiplyAdd(f[i], x * Fp16.ScaledActivationFactor, 0.25f);
                Assert.Equal(BitConverter.SingleToUInt32Bits(expect), BitConverter.SingleToUInt32Bits(scaled));
            }
        }
    }

    [Fact]
    public void Q8_0ActivationMatchesHandComputedValues()
    {
        var x = new float[32];
        x[0] = 127f;  // amax 127 → d = 1, id = 1: values are rounded as they are
        x[1] = 2.5f;  // tie → even (2), as ggml's AVX2 _mm256_round_ps; the reference roundf would give 3
        x[2] = -3.5f; // tie → -4
        x[3] = 0.5f;  // tie → 0
        x[4] = 1.49f;
        x[5] = -126.6f;
        var q = new byte[34];
        Quantize.Q8_0(x, q);
        Assert.Equal(0x3C00, BitConverter.ToUInt16(q, 0)); // fp16 1.0
        sbyte[] qs = q[2..].Select(b => (sbyte)b).ToArray();
        Assert.Equal(new sbyte[] { 127, 2, -4, 0, 1, -127 }, qs[..6]);
        Assert.All(qs[6..], v => Assert.Equal(0, v));

        // the scalar path gives the same bytes
        var qScalar = TestData.Scalar(() => { var b = new byte[34]; Quantize.Q8_0(x, b); return b; });
        Assert.Equal(q, qScalar);

        // a general block: d = amax/127 as fp16, q = round(x * 127/amax)
        var rng = new Random(5);
        float[] v = TestData.RandomFloats(rng, 32, 3f);
        Quantize.Q8_0(v, q);
        float amax = v.Max(MathF.Abs);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(amax / 127f)), BitConverter.ToUInt16(q, 0));
        for (int j = 0; j < 32; j++) Assert.Equal((sbyte)MathF.Round(v[j] * (127f / amax)), (sbyte)q[2 + j]);

        // all-zero block
        Quantize.Q8_0(new float[32], q);
        Assert.All(q, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Q8_0ReferenceRoundsHalfAwayFromZero()
    {
        var x = new float[32];
        x[0] = 127f; x[1] = 2.5f; x[2] = -3.5f; x[3] = 0.5f;
        var q = new byte[34];
        Quantize.Q8_0Reference(x, q);
        Assert.Equal(new sbyte[] { 127, 3, -4, 1 }, q[2..6].Select(b => (sbyte)b).ToArray());
    }

    [Fact]
    public void Q4_0ReferenceMatchesHandComputedBlock()
    {
        var x = new float[32];
        x[0] = -8f;  // max by magnitude, negative: d = max / -8 = 1, id = 1
        x[1] = 7f;   // 7 + 8.5 = 15.5 → 15
        x[2] = 3.4f; // 11.9 → 11
        x[16] = -0.6f; // 7.9 → 7
        x[17] = 7.9f;  // 16.4 → 16 → clamped 15
        var q = new byte[18];
        Quantize.Q4_0Reference(x, q);
        Assert.Equal(0x3C00, BitConverter.ToUInt16(q, 0));
        Assert.Equal(0 | (7 << 4), q[2]);
        Assert.Equal(15 | (15 << 4), q[3]);
        Assert.Equal(11 | (8 << 4), q[4]);
        // round trip of random data is within half a step
        var rng = new Random(3);
        float[] v = TestData.RandomFloats(rng, 64);
        var b = new byte[36];
        Quantize.Q4_0Reference(v, b);
        float[] back = TestData.Dequant(GgmlType.Q4_0, b, 64);
        for (int blk = 0; blk < 2; blk++)
        {
            float d = Math.Abs((float)BitConverter.ToHalf(b, blk * 18));
            for (int j = 0; j < 32; j++) Assert.True(Math.Abs(back[blk * 32 + j] - v[blk * 32 + j]) <= d * 1.01f + 1e-3f);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q8_K)]
    public void ActivationQuantizerSimdEqualsScalar(GgmlType type)
    {
        var rng = new Random(11);
        int n = 256 * 5;
        float[] x = TestData.RandomFloats(rng, n, 4f);
        x[3] = 0; x[300] = -17f; // a dominant negative value
        for (int i = 512; i < 768; i++) x[i] = 0; // an all-zero super-block
        int bytes = (int)GgmlTypeInfo.RowBytes(type, n);
        var a = new byte[bytes];
        Quantize.Row(type, x, a);
        var b = TestData.Scalar(() => { var r = new byte[bytes]; Quantize.Row(type, x, r); return r; });
        Assert.Equal(b, a);
        float[] back = TestData.Dequant(type, a, n);
        Assert.True(TestData.RelRms(back, x) < 0.01);
    }

    [Fact]
    public void Q8_1SumFieldIsScaleTimesSum()
    {
        var rng = new Random(12);
        float[] x = TestData.RandomFloats(rng, 64);
        var q = new byte[72];
        Quantize.Q8_1(x, q);
        for (int b = 0; b < 2; b++)
        {
            float d = (float)BitConverter.ToHalf(q, b * 36);
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += (sbyte)q[b * 36 + 4 + j];
            float amax = x.Skip(b * 32).Take(32).Max(MathF.Abs);
            Assert.Equal((Half)(amax / 127f * sum), BitConverter.ToHalf(q, b * 36 + 2));
            Assert.Equal((Half)(amax / 127f), (Half)d);
        }
    }

    [Fact]
    public void Q8_KHasReferenceScaleAndBlockSums()
    {
        var rng = new Random(13);
        float[] x = TestData.RandomFloats(rng, 256);
        x[10] = -2f; // the signed max is negative: iscale = -127/max > 0
        var q = new byte[292];
        Quantize.Q8_K(x, q);
        float d = BitConverter.ToSingle(q, 0);
        Assert.Equal(1f / (-127f / -2f), d);
        Assert.Equal(-127, (sbyte)q[4 + 10]);
        for (int j = 0; j < 16; j++)
        {
            int s = 0;
            for (int i = 0; i < 16; i++) s += (sbyte)q[4 + j * 16 + i];
            Assert.Equal(s, BitConverter.ToInt16(q, 260 + 2 * j));
        }
    }

    [Fact]
    public void ForceScalarSwitchesKernels()
    {
        if (!HasAvx2 || KernelOptions.Selected != KernelIsa.Avx2) return; // AVX2 is the default where the CPU has it
        Assert.True(KernelOptions.UseAvx2);
        TestData.Scalar(() => { Assert.False(KernelOptions.UseAvx2); return 0; });
        Assert.True(KernelOptions.UseAvx2);
    }
}
