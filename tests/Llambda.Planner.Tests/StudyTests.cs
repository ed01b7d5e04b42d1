using System.Xml.Linq;
using Llambda.Tensors;
using Llambda.Testing;

namespace Llambda.Planner.Tests;

public class StudyTests
{
    [Fact]
    public void Study_measures_each_type_and_writes_markdown_and_svg()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "stories.txt"));
        var result = QuantizationStudy.Run(SharedData.Model("synth-llama-spm512-F32.gguf"), text, "stories.txt", new StudyOptions
        {
            Recipes = [QuantizationRecipe.Q8_0, QuantizationRecipe.Q4_0],
            ContextLength = 64,
            MaxChunks = 4,
            PrefillTokens = 16,
            DecodeTokens = 4,
        });
        Assert.Equal(["source (F32)", "Q8_0", "Q4_0"], result.Rows.Select(r => r.Type));
        Assert.True(result.Rows[1].FileBytes < result.Rows[0].FileBytes);
        Assert.True(result.Rows[2].FileBytes < result.Rows[1].FileBytes);
        // Q8_0 is nearly lossless; Q4_0 moves the perplexity more (random weights: either way).
        Assert.True(Math.Abs(result.Rows[1].PerplexityChange(result.Rows[0])) < 0.01);
        Assert.True(Math.Abs(result.Rows[2].PerplexityChange(result.Rows[0])) > Math.Abs(result.Rows[1].PerplexityChange(result.Rows[0])));
        Assert.Empty(result.Skipped);

        string md = QuantizationStudy.ToMarkdown(result, "chart.svg");
        Assert.Contains("| Q4_0 |", md);
        var svg = XDocument.Parse(QuantizationStudy.ToSvg(result));
        Assert.Equal(3, svg.Descendants().Count(e => e.Name.LocalName == "circle"));
    }

    [Fact]
    public void Types_llama_cpp_cannot_make_are_skipped_with_the_reason()
    {
        // stories260K's ffn rows are 172 values: no 32-value block type fits them (llama.cpp refuses too); K-quants fall back to F16 there.
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "stories.txt"));
        var result = QuantizationStudy.Run(SharedData.Model("stories260K.gguf"), text, "stories.txt", new StudyOptions
        {
            Recipes = [QuantizationRecipe.Q4_0, QuantizationRecipe.Q4_K_M], ContextLength = 64, MaxChunks = 2, PrefillTokens = 8, DecodeTokens = 2,
        });
        Assert.Equal(["source (F32)", "Q4_K_M"], result.Rows.Select(r => r.Type));
        Assert.Contains(result.Skipped, s => s.StartsWith("Q4_0") && s.Contains("172"));
    }

    [Fact]
    public void Study_refuses_a_quantized_source()
    {
        var e = Assert.Throws<ArgumentException>(() => QuantizationStudy.Run(SharedData.Model("tinyllama-v0-Q4_0.gguf"), "x", "x"));
        Assert.Contains("unquantized", e.Message);
    }
}
