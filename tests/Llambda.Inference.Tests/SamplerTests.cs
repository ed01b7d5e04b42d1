using Llambda.Inference;

namespace Llambda.Inference.Tests;

public class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.5f, -1.0f, 0.5f];

    [Fact]
    public void Greedy_picks_the_argmax()
    {
        var sampler = new Sampler(SamplingOptions.Greedy, Logits.Length);
        Assert.Equal(1, sampler.Sample(Logits, []));
    }

    [Fact]
    public void Top_k_of_one_is_greedy_at_any_temperature()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 5, TopK = 1, Seed = 1 }, Logits.Length);
        for (int i = 0; i < 50; i++) Assert.Equal(1, sampler.Sample(Logits, []));
    }

    [Fact]
    public void Draws_follow_the_softmax_distribution()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 42 }, Logits.Length);
        var counts = new int[Logits.Length];
        const int draws = 20000;
        for (int i = 0; i < draws; i++) counts[sampler.Sample(Logits, [])]++;
        double sum = Logits.Sum(x => Math.Exp(x));
        for (int t = 0; t < Logits.Length; t++)
            Assert.Equal(Math.Exp(Logits[t]) / sum, counts[t] / (double)draws, 2);
    }

    [Fact]
    public void Min_p_and_top_p_cut_the_tail()
    {
        // p = softmax: token 1 ≈ 0.53, token 2 ≈ 0.32; min-p 0.5 keeps only tokens with p >= 0.265.
        var minP = new Sampler(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 3 }, Logits.Length);
        var topP = new Sampler(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 0.5f, MinP = 0, Seed = 3 }, Logits.Length);
        for (int i = 0; i < 500; i++)
        {
            Assert.Contains(minP.Sample(Logits, []), new[] { 1, 2 });
            Assert.Equal(1, topP.Sample(Logits, []));
        }
    }

    [Fact]
    public void Penalties_push_repeated_tokens_down()
    {
        var repeat = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2.0f }, Logits.Length);
        Assert.Equal(2, repeat.Sample(Logits, [1])); // 3.0 / 2 = 1.5 < 2.5
        var presence = new Sampler(new SamplingOptions { Temperature = 0, PresencePenalty = 1.0f }, Logits.Length);
        Assert.Equal(2, presence.Sample(Logits, [1])); // 3.0 - 1 = 2.0 < 2.5
        var frequency = new Sampler(new SamplingOptions { Temperature = 0, FrequencyPenalty = 0.3f }, Logits.Length);
        Assert.Equal(1, frequency.Sample(Logits, [1]));       // 3.0 - 0.3 = 2.7 > 2.5
        Assert.Equal(2, frequency.Sample(Logits, [1, 1, 1])); // 3.0 - 0.9 = 2.1 < 2.5
        var window = new Sampler(new SamplingOptions { Temperature = 0, PresencePenalty = 1.0f, PenaltyLastN = 1 }, Logits.Length);
        Assert.Equal(1, window.Sample(Logits, [1, 4]));       // token 1 is outside the last-1 window
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0f, "temperature")]
    [InlineData(1f, -2, 0.9f, 0f, "top_k")]
    [InlineData(1f, 40, 0f, 0f, "top_p")]
    [InlineData(1f, 40, 0.9f, 2f, "min_p")]
    public void Invalid_options_name_the_field(float temperature, int topK, float topP, float minP, string field)
    {
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var e = Assert.Throws<ArgumentException>(() => new Sampler(options, 10));
        Assert.Contains(field, e.Message);
    }
}
