using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Tensors.Tests;

/// <summary>
/// The weight quantizers and <see cref="ModelQuantizer"/> against llama.cpp: the shared synth-llama-spm512-* files were
/// written by llama.cpp's llama-quantize from synth-llama-spm512-F32.gguf, so quantizing that F32 file must give the
/// very same files, byte for byte (metadata, tensor order, per-tensor types and data).
/// </summary>
public class WeightQuantizerTests
{
    private static readonly string F32Model = SharedData.Model("synth-llama-spm512-F32.gguf");

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    [InlineData("Q4_1")]
    [InlineData("Q5_0")]
    [InlineData("Q5_1")]
    [InlineData("Q6_K")]
    [InlineData("Q4_K_M")]
    [InlineData("Q5_K_M")]
    public void Quantizing_the_shared_F32_model_reproduces_llama_cpp_file_byte_for_byte(string type)
    {
        string output = Path.Combine(Path.GetTempPath(), $"llambda-q-{type}-{Guid.NewGuid():N}.gguf");
        try
        {
            ModelQuantizer.Quantize(F32Model, output, QuantizationRecipe.Parse(type));
            string reference = SharedData.Model($"synth-llama-spm512-{type}.gguf");

            using (var ours = GgufFile.Open(output))
            using (var theirs = GgufFile.Open(reference))
            {
                // Tensor by tensor first, so a failure names the tensor.
                Assert.Equal(theirs.Tensors.Select(t => $"{t.Name}:{t.Type}"), ours.Tensors.Select(t => $"{t.Name}:{t.Type}"));
                foreach (var t in theirs.Tensors)
                {
                    byte[] expected = theirs.GetTensorBytes(t).ToArray();
                    byte[] actual = ours.GetTensorBytes(ours.GetTensor(t.Name)).ToArray();
                    int diff = FirstDifference(expected, actual);
                    Assert.True(diff < 0, $"{type}: tensor {t.Name} ({t.Type}) differs from llama.cpp's at byte {diff}");
                }
            }
            Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 0.01)]
    [InlineData(GgmlType.Q6_K, 0.03)]
    [InlineData(GgmlType.Q5_1, 0.06)]
    [InlineData(GgmlType.Q5_K, 0.06)]
    [InlineData(GgmlType.Q5_0, 0.06)]
    [InlineData(GgmlType.Q4_1, 0.12)]
    [InlineData(GgmlType.Q4_K, 0.12)]
    [InlineData(GgmlType.Q4_0, 0.12)]
    [InlineData(GgmlType.F16, 0.001)]
    [InlineData(GgmlType.BF16, 0.005)]
    public void Round_trip_error_is_within_the_type_precision(GgmlType type, double maxRelativeRms)
    {
        // Gaussian-ish weights (sum of uniforms), the shape real weight rows have.
        var rng = new Random(1234);
        const int n = 4096;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)((rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5) * 0.05);
        var q = new byte[GgmlTypeInfo.RowBytes(type, n)];
        var back = new float[n];
        WeightQuantizer.Row(type, x, q);
        Dequantize.Row(type, q, back);

        double err = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            err += (back[i] - x[i]) * (double)(back[i] - x[i]);
            norm += x[i] * (double)x[i];
        }
        double relative = Math.Sqrt(err / norm);
        Assert.True(relative < maxRelativeRms, $"{type}: relative RMS error {relative:F5} ≥ {maxRelativeRms}");
    }

    [Fact]
    public void Quantizers_handle_all_zero_and_constant_blocks()
    {
        foreach (var type in WeightQuantizer.SupportedTypes)
        {
            foreach (float value in new[] { 0f, 0.5f, -2f })
            {
                var x = Enumerable.Repeat(value, 512).ToArray();
                var q = new byte[GgmlTypeInfo.RowBytes(type, x.Length)];
                var back = new float[x.Length];
                WeightQuantizer.Row(type, x, q);
                Dequantize.Row(type, q, back);
                foreach (float v in back) Assert.True(float.IsFinite(v), $"{type} of {value} gave {v}");
                Assert.True(Math.Abs(back[0] - value) <= Math.Abs(value) * 0.07 + 1e-6, $"{type}: {value} came back as {back[0]}");
            }
        }
    }

    [Fact]
    public void Unknown_types_are_refused_with_the_valid_names()
    {
        var e = Assert.Throws<ArgumentException>(() => QuantizationRecipe.Parse("Q3_XYZ"));
        Assert.Contains("Q3_XYZ", e.Message);
        foreach (string name in new[] { "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q6_K", "Q4_K_M", "Q5_K_M", "Q4_K", "Q5_K" })
            Assert.Contains(name, e.Message);
        Assert.Throws<NotSupportedException>(() => WeightQuantizer.Row(GgmlType.IQ2_XXS, new float[256], new byte[1024]));
    }

    [Fact]
    public void Llama_cpp_aliases_Q4_K_and_Q5_K_to_the_M_mixes()
    {
        Assert.Equal("Q4_K_M", QuantizationRecipe.Parse("Q4_K").Name);
        Assert.Equal("Q5_K_M", QuantizationRecipe.Parse("q5_k").Name);
    }

    [Fact]
    public void Requantizing_needs_the_explicit_flag_and_then_works()
    {
        string output = Path.Combine(Path.GetTempPath(), $"llambda-rq-{Guid.NewGuid():N}.gguf");
        try
        {
            var e = Assert.Throws<NotSupportedException>(() =>
                ModelQuantizer.Quantize(SharedData.Model("synth-llama-spm512-Q8_0.gguf"), output, QuantizationRecipe.Q4_0));
            Assert.Contains("--allow-requantize", e.Message);
            Assert.False(File.Exists(output));

            var report = ModelQuantizer.Quantize(SharedData.Model("synth-llama-spm512-Q8_0.gguf"), output, QuantizationRecipe.Q4_0,
                new ModelQuantizerOptions { AllowRequantize = true });
            using var file = GgufFile.Open(output);
            Assert.Equal(GgmlType.Q4_0, file.GetTensor("blk.0.attn_q.weight").Type);
            Assert.Equal(GgmlType.Q6_K, file.GetTensor("output.weight").Type);
            Assert.Equal(2u, file.Metadata.GetUInt32("general.file_type"));
            Assert.True(report.BitsPerWeight is > 4 and < 6);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return Math.Min(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return i;
        return -1;
    }
}
