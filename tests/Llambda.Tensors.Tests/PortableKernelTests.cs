using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors.Tests;

/// <summary>
/// The portable Vector128 kernels (the arm64 path), run here on x86: quantized dots equal the scalar kernels bit for
/// bit (exact integer block sums, the same float expression), the float types within summation noise, and matrix
/// products with the portable path selected equal the scalar path's.
/// </summary>
public unsafe class PortableKernelTests
{
    private static readonly int[] BlockCounts = [1, 2, 3, 7, 16];

    private static bool IsFloat(GgmlType type) => GgmlTypeInfo.BlockSize(type) == 1;

    private static byte[] Prepare(GgmlType wt, float[] x)
    {
        var act = new byte[VecDot.ActivationBytes(wt, x.Length)];
        TestData.Scalar(() => { VecDot.PrepareActivation(wt, x, act); return 0; });
        return act;
    }

    private static float Dot(delegate*<byte*, byte*, int, float> k, byte[] w, byte[] a, int n)
    {
        fixed (byte* pw = w) fixed (byte* pa = a) return k(pw, pa, n);
    }

    /// <summary>Σ|w·x| over the dequantized weights and the prepared activations: the scale of the summation noise.</summary>
    private static double Magnitude(GgmlType type, byte[] w, byte[] act, int n)
    {
        float[] wd = TestData.Dequant(type, w, n);
        GgmlType at = VecDot.ActivationType(type);
        float[] xd = IsFloat(type) ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(act).ToArray() : TestData.Dequant(at, act, n);
        if (at == GgmlType.F16)
            for (int i = 0; i < n; i++) xd[i] *= Fp16.ScaledActivationInverse;
        double mag = 0;
        for (int i = 0; i < n; i++) mag += Math.Abs((double)wd[i] * xd[i]);
        return mag;
    }

    private static void AssertAgrees(GgmlType type, float scalar, float portable, double mag, string what)
    {
        if (IsFloat(type))
            Assert.True(Math.Abs(scalar - portable) <= 1e-5 * mag + 1e-30, $"{type} {what}: scalar {scalar} portable {portable} (mag {mag})");
        else
            Assert.True(BitConverter.SingleToInt32Bits(scalar) == BitConverter.SingleToInt32Bits(portable),
                $"{type} {what}: scalar {scalar} portable {portable}");
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void PortableDotEqualsScalarDot(GgmlType type)
    {
        var rng = new Random(4321 + (int)type);
        int bs = Math.Max(32, GgmlTypeInfo.BlockSize(type));
        var lengths = BlockCounts.Select(b => bs * b).ToList();
        if (IsFloat(type)) lengths.AddRange([1, 5, 15, 17, 16 * 3 + 11]); // the float kernels take 16 at a time, then a tail
        foreach (int n in lengths)
        {
            for (int rep = 0; rep < 3; rep++)
            {
                byte[] w = TestData.RandomRow(rng, type, n);
                float[] x = TestData.RandomFloats(rng, n, rep == 2 ? 50f : 1f);
                byte[] act = Prepare(type, x);
                float s = Dot(VecDot.GetScalarKernel(type), w, act, n);
                float p = Dot(VecDot.GetPortableKernel(type), w, act, n);
                AssertAgrees(type, s, p, Magnitude(type, w, act, n), $"n={n}");
            }
        }
    }

    /// <summary>The fp16 offsets of a block's scale fields (as <see cref="TestData.RandomRow"/> fills them).</summary>
    private static int[] ScaleFields(GgmlType type) => type switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL => [0],
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        GgmlType.Q6_K => [208],
        _ => [],
    };

    /// <summary>
    /// The int16 stages hold only because the values are small enough: blocks of all-extreme quants (every byte
    /// 0x00, 0xFF, 0x80...) against activations that quantize to ±127 everywhere still equal the scalar sums.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void ExtremeBlocksDoNotOverflow(GgmlType type)
    {
        if (IsFloat(type)) return;
        int n = GgmlTypeInfo.BlockSize(type) == 256 ? 512 : 64;
        int blockBytes = GgmlTypeInfo.BlockBytes(type);
        foreach (byte pattern in new byte[] { 0x00, 0xFF, 0x80, 0x7F, 0x88, 0xF0, 0x0F, 0xC0, 0x3F })
        {
            var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
            Array.Fill(w, pattern);
            for (int o = 0; o < w.Length; o += blockBytes)
                foreach (int f in ScaleFields(type))
                    BitConverter.TryWriteBytes(w.AsSpan(o + f, 2), BitConverter.HalfToUInt16Bits((Half)0.01f));
            foreach (float sign in new[] { 1f, -1f, 0f })
            {
                var x = new float[n];
                for (int i = 0; i < n; i++) x[i] = sign == 0 ? (i % 2 == 0 ? 1f : -1f) : sign;
                byte[] act = Prepare(type, x);
                float s = Dot(VecDot.GetScalarKernel(type), w, act, n);
                float p = Dot(VecDot.GetPortableKernel(type), w, act, n);
                AssertAgrees(type, s, p, 0, $"pattern 0x{pattern:X2} sign {sign}");
            }
        }
    }

    // the kernels are static methods of this assembly: each has one entry point, so their pointers compare
#pragma warning disable CS8909
    [Fact]
    public void SelectingThePortablePathRoutesTheKernels()
    {
        KernelIsa before = KernelOptions.Selected;
        TestData.WithKernels(KernelIsa.Portable, () =>
        {
            Assert.Equal(KernelIsa.Portable, KernelOptions.Active);
            Assert.True(KernelOptions.UsePortable);
            Assert.False(KernelOptions.UseAvx2);
            Assert.Contains("Vector128", KernelOptions.Describe());
            Assert.True(VecDot.GetKernel(GgmlType.Q4_K) == VecDot.GetPortableKernel(GgmlType.Q4_K));
            Assert.True(VecDot.GetKernel(GgmlType.F16, batch: true) == VecDot.GetPortableKernel(GgmlType.F16));
            Assert.True(Interleaved.RowKernel(GgmlType.Q4_0) == (delegate*<byte*, byte*, int, float>)&PortableDot.Q4_0RepackOrder);
            // ForceScalar still wins
            TestData.Scalar(() =>
            {
                Assert.Equal(KernelIsa.Scalar, KernelOptions.Active);
                Assert.False(KernelOptions.UsePortable);
                Assert.True(VecDot.GetKernel(GgmlType.Q4_K) == VecDot.GetScalarKernel(GgmlType.Q4_K));
                Assert.True(Interleaved.RowKernel(GgmlType.Q4_0) == Interleaved.ScalarKernel(GgmlType.Q4_0));
                return 0;
            });
            Assert.True(KernelOptions.UsePortable);
            return 0;
        });
        Assert.Equal(before, KernelOptions.Selected);
    }
#pragma warning restore CS8909

    [Fact]
    public void EnvironmentVariableNamesThePath()
    {
        Assert.Equal((KernelIsa.Portable, (string?)null), KernelOptions.FromEnvironment("portable"));
        Assert.Equal((KernelIsa.Scalar, (string?)null), KernelOptions.FromEnvironment(" Scalar "));
        Assert.Equal((KernelOptions.Best, (string?)null), KernelOptions.FromEnvironment(null));
        var (isa, note) = KernelOptions.FromEnvironment("neon");
        Assert.Equal(KernelOptions.Best, isa);
        Assert.Contains("LLAMBDA_KERNELS=neon ignored", note);
        Assert.Equal(KernelOptions.IsSupported(KernelIsa.Avx2) ? KernelIsa.Avx2 : KernelOptions.Best, KernelOptions.FromEnvironment("avx2").Isa);
    }

    private static (byte[] data, float[] dequant) RandomMatrix(Random rng, GgmlType type, int rows, int cols)
    {
        long rb = GgmlTypeInfo.RowBytes(type, cols);
        var data = new byte[rb * rows];
        for (int r = 0; r < rows; r++) TestData.RandomRow(rng, type, cols).CopyTo(data, r * rb);
        return (data, TestData.Dequant(type, data, rows * cols));
    }

    private static float[] Product(KernelIsa isa, WeightMatrix w, float[] x, int n, WorkerPool? pool) =>
        TestData.WithKernels(isa, () =>
        {
            var y = new float[w.Rows * n];
            MatMul.MatMulBatch(w, x, n, y, pool);
            return y;
        });

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void PortableMatMulEqualsScalarMatMul(GgmlType type)
    {
        var rng = new Random(55 + (int)type);
        int cols = Math.Max(32, GgmlTypeInfo.BlockSize(type)) * 5, rows = 8 * 9; // a multiple of 8: repackable types too
        var (data, wd) = RandomMatrix(rng, type, rows, cols);
        using var pool = new WorkerPool(2);
        fixed (byte* p = data)
        {
            var plain = new WeightMatrix(type, rows, cols, p);
            // the repack-order matrices (no packed copy off AVX2) use the portable twins of the scalar repack kernels
            var ordered = new WeightMatrix(type, rows, cols, p) { RepackOrder = true };
            foreach (WeightMatrix w in plain.CanRepack ? new[] { plain, ordered } : [plain])
            {
                foreach (int n in new[] { 1, 3, 8, 9 }) // 8 and 9: gemm columns for the repack order
                {
                    float[] x = TestData.RandomFloats(rng, cols * n);
                    float[] scalar = Product(KernelIsa.Scalar, w, x, n, null);
                    float[] portable = Product(KernelIsa.Portable, w, x, n, pool);
                    for (int t = 0; t < n; t++)
                        for (int r = 0; r < rows; r++)
                        {
                            double mag = 0;
                            for (int c = 0; c < cols; c++) mag += Math.Abs(wd[r * cols + c] * x[t * cols + c]);
                            AssertAgrees(type, scalar[t * rows + r], portable[t * rows + r], mag,
                                $"{(w.RepackOrder ? "repack order " : "")}n={n} token {t} row {r}");
                        }
                }
            }
        }
    }
}
