using System.Text;
using System.Text.Json;
using Llambda.Inference;
using Llambda.Testing;

namespace Llambda.Inference.Tests;

public class GeneratorTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    private LoadedModel Model => fixture.Model;

    [Fact]
    public void Greedy_generation_reproduces_llama_cpp_text()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Reference("generate", "stories260K.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string prompt = c.GetProperty("prompt").GetString()!;
            int[] expectedIds = c.GetProperty("greedy_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int[] tokens = Model.Tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);
            Assert.Equal(c.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()), tokens);

            var ids = new List<int>();
            var text = new StringBuilder();
            var result = Generator.Run(Model.CreateSession(512), tokens,
                new GenerationOptions { MaxTokens = 32, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true },
                t => { ids.Add(t.TokenId); text.Append(t.Text); });
            text.Append(result.TrailingText);

            Assert.Equal(expectedIds, ids);
            Assert.Equal(FinishReason.Length, result.FinishReason);
            Assert.Equal(32, result.CompletionTokens);
            Assert.Equal(Model.Tokenizer.Decode(expectedIds), text.ToString());
        }
    }

    [Fact]
    public void End_of_generation_token_stops_unless_ignored()
    {
        // stories260K never writes EOS on its own, so make its first greedy token (",", id 432) the EOS.
        string path = ModelRewriter.Rewrite("stories260K.gguf", md => md.Set("tokenizer.ggml.eos_token_id", Llambda.Gguf.GgufValue.FromUInt32(432)));
        try
        {
            using var model = LoadedModel.Load(path);
            int[] prompt = model.Tokenizer.Encode("Once upon a time", addSpecial: true);
            var texts = new List<string>();
            var stopped = Generator.Run(model.CreateSession(512), prompt, new GenerationOptions { MaxTokens = 10, Sampling = SamplingOptions.Greedy }, t => texts.Add(t.Text));
            var ignored = Generator.Run(model.CreateSession(512), prompt, new GenerationOptions { MaxTokens = 10, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true });
            Assert.Equal(FinishReason.Stop, stopped.FinishReason);
            Assert.Equal(1, stopped.CompletionTokens);
            Assert.Empty(texts); // the end token itself is not output
            Assert.Equal(FinishReason.Length, ignored.FinishReason);
            Assert.Equal(10, ignored.CompletionTokens);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Stop_string_ends_output_before_it()
    {
        int[] prompt = Model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        var text = new StringBuilder();
        var result = Generator.Run(Model.CreateSession(512), prompt,
            new GenerationOptions { MaxTokens = 64, Sampling = SamplingOptions.Greedy, StopStrings = ["little girl"] },
            t => text.Append(t.Text));
        text.Append(result.TrailingText);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(", there was a ", text.ToString());
    }

    [Fact]
    public void Context_limits_are_enforced()
    {
        int[] prompt = Model.Tokenizer.Encode("Once upon a time", addSpecial: true); // 5 tokens
        var e = Assert.Throws<PromptTooLongException>(() => Generator.Run(Model.CreateSession(4), prompt, new GenerationOptions()));
        Assert.Equal(5, e.PromptTokens);
        Assert.Equal(4, e.ContextLength);
        Assert.Contains("5 tokens", e.Message);

        var full = Generator.Run(Model.CreateSession(12), prompt, new GenerationOptions { MaxTokens = 100, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true });
        Assert.Equal(FinishReason.ContextFull, full.FinishReason);
        Assert.Equal(7, full.CompletionTokens);
    }

    [Fact]
    public void Deadline_and_cancellation_stop_generation()
    {
        int[] prompt = Model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        var past = Generator.Run(Model.CreateSession(512), prompt, new GenerationOptions { MaxTokens = 100, Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) });
        Assert.Equal(FinishReason.Deadline, past.FinishReason);
        Assert.Equal(0, past.CompletionTokens);

        using var cts = new CancellationTokenSource();
        int seen = 0;
        var cancelled = Generator.Run(Model.CreateSession(512), prompt,
            new GenerationOptions { MaxTokens = 100, Sampling = SamplingOptions.Greedy, IgnoreEndOfGeneration = true },
            _ => { if (++seen == 3) cts.Cancel(); }, cts.Token);
        Assert.Equal(FinishReason.Cancelled, cancelled.FinishReason);
        Assert.Equal(3, cancelled.CompletionTokens);
    }

    [Fact]
    public void Session_reuses_the_common_prefix()
    {
        var session = Model.CreateSession(512);
        int[] first = Model.Tokenizer.Encode("Once upon a time there was", addSpecial: true);
        var a = Generator.Run(session, first, new GenerationOptions { MaxTokens = 1, Sampling = SamplingOptions.Greedy });
        Assert.Equal(first.Length, a.PromptTokensEvaluated);
        int[] longer = Model.Tokenizer.Encode("Once upon a time there was a dog", addSpecial: true);
        var b = Generator.Run(session, longer, new GenerationOptions { MaxTokens = 1, Sampling = SamplingOptions.Greedy });
        Assert.Equal(longer.Length - first.Length, b.PromptTokensEvaluated);

        // Same continuation as a fresh session: reuse must not change results.
        var fresh = new List<int>();
        var reused = new List<int>();
        Generator.Run(Model.CreateSession(512), longer, new GenerationOptions { MaxTokens = 8, Sampling = SamplingOptions.Greedy }, t => fresh.Add(t.TokenId));
        Generator.Run(session, longer, new GenerationOptions { MaxTokens = 8, Sampling = SamplingOptions.Greedy }, t => reused.Add(t.TokenId));
        Assert.Equal(fresh, reused);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_seeds_differ()
    {
        int[] prompt = Model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        List<int> Run(ulong seed)
        {
            var ids = new List<int>();
            Generator.Run(Model.CreateSession(512), prompt, new GenerationOptions
            {
                MaxTokens = 40, IgnoreEndOfGeneration = true,
                Sampling = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = seed },
            }, t => ids.Add(t.TokenId));
            return ids;
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Logprobs_are_reported_when_asked()
    {
        int[] prompt = Model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        var tokens = new List<GeneratedToken>();
        Generator.Run(Model.CreateSession(512), prompt, new GenerationOptions { MaxTokens = 3, Sampling = SamplingOptions.Greedy, TopLogprobs = 3 }, tokens.Add);
        foreach (var t in tokens)
        {
            Assert.NotNull(t.Logprob);
            Assert.True(t.Logprob <= 0);
            Assert.Equal(3, t.TopLogprobs!.Count);
            Assert.Equal(t.TokenId, t.TopLogprobs[0].TokenId); // greedy: the chosen token is the most likely
            Assert.Equal(t.Logprob!.Value, t.TopLogprobs[0].Logprob, 1e-4f);
            Assert.True(t.TopLogprobs[0].Logprob >= t.TopLogprobs[1].Logprob);
        }
    }

    [Fact]
    public void Embeddings_are_unit_length_deterministic_and_distinguish_texts()
    {
        var session = Model.CreateSession(256);
        float[] a = session.Embed(Model.Tokenizer.Encode("The cat sat on the mat.", addSpecial: true));
        float[] a2 = Model.CreateSession(256).Embed(Model.Tokenizer.Encode("The cat sat on the mat.", addSpecial: true));
        float[] b = session.Embed(Model.Tokenizer.Encode("Lily went to the park to play.", addSpecial: true));
        Assert.Equal(Model.Config.EmbeddingLength, a.Length);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(x => (double)x * x)), 4);
        Assert.Equal(a, a2);
        Assert.NotEqual(a, b);
    }
}
