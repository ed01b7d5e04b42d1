using Llambda.Gguf;
using Llambda.Testing;
using Xunit.Abstractions;

namespace Llambda.Tensors.Tests;

/// <summary>
/// The synth-llama-spm512 files hold the same random weights quantized by llama.cpp to each type, so dequantizing a
/// tensor must land close to the F32 file's tensor: this proves the block layouts against ggml's own quantizers.
/// </summary>
public unsafe class ModelTensorTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files() =>
    [
        "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL",
    ];

    /// <summary>Largest relative RMS error accepted per tensor type (measured values are well below).</summary>
    private static double Bound(GgmlType t) => t switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 3e-4,
        GgmlType.BF16 => 2.5e-3,
        GgmlType.Q8_0 => 0.008,
        GgmlType.Q6_K => 0.025,
        GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q5_K => 0.055,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q4_K or GgmlType.IQ4_NL => 0.11,
        GgmlType.Q3_K => 0.2,
        GgmlType.Q2_K => 0.38,
        _ => throw new NotSupportedException(t.ToString()),
    };

    private static string ModelPath(string suffix) => SharedData.Model($"synth-llama-spm512-{suffix}.gguf");

    [Theory]
    [MemberData(nameof(Files))]
    public void DequantizedTensorsMatchF32File(string suffix)
    {
        using var reference = GgufFile.Open(ModelPath("F32"));
        using var file = GgufFile.Open(ModelPath(suffix));
        int checkedTensors = 0;
        foreach (var t in file.Tensors)
        {
            var r = reference.GetTensor(t.Name);
            Assert.Equal(GgmlType.F32, r.Type);
            Assert.Equal(r.ElementCount, t.ElementCount);
            int n = checked((int)t.ElementCount);
            var got = new float[n];
            var expect = new float[n];
            Dequantize.Row(t.Type, file.GetTensorBytes(t), got);
            Dequantize.Row(GgmlType.F32, reference.GetTensorBytes(r), expect);
            double err = TestData.RelRms(got, expect);
            output.WriteLine($"{suffix} {t.Name} {t.Type}: rel rms {err:E3}");
            Assert.True(err <= Bound(t.Type), $"{t.Name} ({t.Type}) relative RMS error {err}");
            if (t.Type != GgmlType.F32) checkedTensors++;
        }
        Assert.True(checkedTensors > 0);
    }

    [Theory]
    [InlineData("Q8_0", GgmlType.Q8_0)]
    [InlineData("Q4_0", GgmlType.Q4_0)]
    public void ReferenceWeightQuantizersReproduceLlamaCppBytes(string suffix, GgmlType type)
    {
        using var reference = GgufFile.Open(ModelPath("F32"));
        using var file = GgufFile.Open(ModelPath(suffix));
        int compared = 0;
        foreach (var t in file.Tensors)
        {
            if (t.Type != type) continue;
            var r = reference.GetTensor(t.Name);
            var src = new float[checked((int)r.ElementCount)];
            Dequantize.Row(GgmlType.F32, reference.GetTensorBytes(r), src);
            var dst = new byte[t.ByteSize];
            if (type == GgmlType.Q8_0) Quantize.Q8_0Reference(src, dst);
            else Quantize.Q4_0Reference(src, dst);
            Assert.True(file.GetTensorBytes(t).SequenceEqual(dst), $"{t.Name}: bytes differ from llama.cpp's");
            compared++;
        }
        output.WriteLine($"{suffix}: {compared} tensors byte-identical");
        Assert.True(compared > 0);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void MatVecOnModelTensorsTracksF32(string suffix)
    {
        using var reference = GgufFile.Open(ModelPath("F32"));
        using var file = GgufFile.Open(ModelPath(suffix));
        using var pool = new WorkerPool(2);
        var rng = new Random(42);
        foreach (var t in file.Tensors)
        {
            if (t.Dimensions.Length != 2 || t.Type == GgmlType.F32) continue;
            var r = reference.GetTensor(t.Name);
            int cols = (int)t.Dimensions[0], rows = (int)t.Dimensions[1];
            var w = new WeightMatrix(t.Type, rows, cols, file.GetTensorPointer(t));
            var wf = new WeightMatrix(GgmlType.F32, rows, cols, reference.GetTensorPointer(r));
            float[] x = TestData.RandomFloats(rng, cols);
            var y = new float[rows];
            var yf = new float[rows];
            MatMul.MatVec(w, x, y, pool);
            MatMul.MatVec(wf, x, yf, pool);
            double err = TestData.RelRms(y, yf);
            output.WriteLine($"{suffix} {t.Name} {t.Type}: matvec rel rms {err:E3}");
            // weight error plus activation quantization (~0.5%)
            Assert.True(err <= Bound(t.Type) * 1.5 + 0.01, $"{t.Name} ({t.Type}) matvec relative RMS error {err}");

            // 1 thread and 2 threads give the same bits
            var y1 = new float[rows];
            MatMul.MatVec(w, x, y1, null);
            Assert.Equal(y1, y);
        }
    }
}
