using System.Text.Json;
using Llambda.Inference;
using Llambda.Testing;

namespace Llambda.Planner.Tests;

/// <summary>
/// Perplexity against llama.cpp's own figures: reference/perplexity.json was produced by llama.cpp's engine
/// (node-llama-cpp's prebuilt build) with bench/reference/perplexity.mjs on data/stories.txt at a context of 128.
/// </summary>
public class PerplexityTests
{
    private static readonly string Text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "stories.txt"));

    public static TheoryData<string> Models()
    {
        var d = new TheoryData<string>();
        foreach (var r in Reference().GetProperty("results").EnumerateArray()) d.Add(r.GetProperty("model").GetString()!);
        return d;
    }

    private static JsonElement Reference() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "perplexity.json"))).RootElement;

    private static JsonElement ReferenceFor(string model) =>
        Reference().GetProperty("results").EnumerateArray().First(r => r.GetProperty("model").GetString() == model);

    [Theory]
    [MemberData(nameof(Models))]
    public void Perplexity_is_within_one_percent_of_llama_cpp(string modelFile)
    {
        var expected = ReferenceFor(modelFile);
        int ctx = expected.GetProperty("ctx").GetInt32();
        using var model = LoadedModel.Load(SharedData.Model(modelFile), new ModelOptions { Threads = 2 });

        var result = Perplexity.Compute(model, Text, new PerplexityOptions { ContextLength = ctx });

        // Same tokens and chunks first: a tokenizer difference would make the comparison meaningless.
        Assert.Equal(expected.GetProperty("tokens").GetInt32(), result.TextTokens);
        Assert.Equal(expected.GetProperty("chunks").GetInt32(), result.Chunks);
        double reference = expected.GetProperty("ppl").GetDouble();
        double relative = Math.Abs(result.Value / reference - 1);
        Assert.True(relative < 0.01, $"{modelFile}: ours {result.Value:F4}, llama.cpp {reference:F4} ({relative:P3} apart)");
    }

    [Fact]
    public void Chunking_follows_llama_cpp()
    {
        using var model = LoadedModel.Load(SharedData.Model("stories260K.gguf"), new ModelOptions { Threads = 1 });
        var result = Perplexity.Compute(model, Text, new PerplexityOptions { ContextLength = 64, MaxChunks = 3 });
        Assert.Equal(3, result.Chunks);
        Assert.Equal(3 * (64 - 1 - 32), result.ScoredTokens); // second half of each chunk, minus the last token
        Assert.Equal(3, result.Running.Count);
        Assert.Equal(result.Value, result.Running[^1], 12);
    }

    [Fact]
    public void Too_short_a_text_is_refused_with_the_numbers()
    {
        using var model = LoadedModel.Load(SharedData.Model("stories260K.gguf"));
        var e = Assert.Throws<ArgumentException>(() => Perplexity.Compute(model, "Once upon a time.", new PerplexityOptions { ContextLength = 64 }));
        Assert.Contains("needs at least 128", e.Message);
    }
}
