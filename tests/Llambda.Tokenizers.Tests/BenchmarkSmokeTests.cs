using Llambda.Testing;
using Llambda.Tokenizers;
using Xunit.Abstractions;

namespace Llambda.Tokenizers.Tests;

/// <summary>Runs the benchmark on a small input to prove it works; prints numbers, asserts no timings.</summary>
public class BenchmarkSmokeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-gpt-2.gguf")]
    [InlineData("ggml-vocab-deepseek-llm.gguf")]
    public void BenchmarkRunsAndRoundTrips(string vocabFile)
    {
        Tokenizer tokenizer = Tokenizer.FromGguf(SharedData.Reference("tokenizer", vocabFile));
        var result = TokenizerBenchmark.Run(tokenizer, megabytes: 1.0);
        output.WriteLine($"{vocabFile}: {result}");
        Assert.True(result.Tokens > 0);

        string text = TokenizerBenchmark.MixedText(20_000);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecial: false)));
    }
}
