using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using InferenceChat = Llambda.Inference.ChatMessage;

namespace Llambda.Server.Tests;

/// <summary>The official OpenAI .NET SDK pointed at our server: it must not notice the difference.</summary>
[Collection("server")]
public sealed class OpenAiSdkTests(ServerFixture fixture)
{
    private OpenAIClientOptions Options => new() { Endpoint = new Uri(fixture.BaseAddress, "/v1") };
    private ChatClient Chat(string key = ServerFixture.Key) => new("stories260K", new ApiKeyCredential(key), Options);

    [Fact]
    public async Task Chat_completion_is_the_engines_greedy_answer()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync(
            [new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });

        string expected = Reference.Chat([new InferenceChat("user", "Once upon a time")], 24);
        Assert.Equal(expected, completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(24, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task Streaming_chat_arrives_in_pieces_with_usage_at_the_end()
    {
        var text = new System.Text.StringBuilder();
        int updates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in Chat().CompleteChatStreamingAsync(
            [new SystemChatMessage("You tell short stories."), new UserChatMessage("Tell me about a cat.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 30 }))
        {
            foreach (var part in update.ContentUpdate) { text.Append(part.Text); updates++; }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        string expected = Reference.Chat([new InferenceChat("system", "You tell short stories."), new InferenceChat("user", "Tell me about a cat.")], 30);
        Assert.Equal(expected, text.ToString());
        Assert.True(updates > 5, $"expected many streamed pieces, got {updates}");
        Assert.NotNull(usage); // the SDK asks for include_usage when streaming
        Assert.Equal(30, usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, finish);
    }

    [Fact]
    public async Task Chat_options_seed_stop_penalties_and_logprobs_are_accepted()
    {
        var options = new ChatCompletionOptions
        {
            Temperature = 0.7f,
            TopP = 0.9f,
            Seed = 42,
            PresencePenalty = 0.5f,
            FrequencyPenalty = 0.5f,
            MaxOutputTokenCount = 16,
            IncludeLogProbabilities = true,
            TopLogProbabilityCount = 3,
        };
        options.StopSequences.Add("zzz");
        ChatCompletion a = await Chat().CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        ChatCompletion b = await Chat().CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        Assert.Equal(a.Content[0].Text, b.Content[0].Text); // same seed, same text
        Assert.Equal(a.Usage.OutputTokenCount, a.ContentTokenLogProbabilities.Count);
        Assert.All(a.ContentTokenLogProbabilities, lp =>
        {
            Assert.True(lp.LogProbability <= 0);
            Assert.Equal(3, lp.TopLogProbabilities.Count);
        });
    }

    [Fact]
    public async Task Stop_string_ends_the_answer_before_it()
    {
        string full = Reference.Chat([new InferenceChat("user", "Once upon a time")], 24);
        string stop = full.Trim().Split(' ')[1]; // a word from the middle of the greedy answer
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        options.StopSequences.Add(stop);
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task Embeddings_are_unit_vectors_of_the_models_width()
    {
        var client = new EmbeddingClient("stories260K", new ApiKeyCredential(ServerFixture.Key), Options);
        OpenAIEmbedding one = await client.GenerateEmbeddingAsync("A cat sat on the mat."); // the SDK asks for base64
        float[] v = one.ToFloats().ToArray();
        Assert.Equal(Reference.Model.Config.EmbeddingLength, v.Length);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 3);

        OpenAIEmbeddingCollection many = await client.GenerateEmbeddingsAsync(["A cat sat on the mat.", "The dog ran away."]);
        Assert.Equal(2, many.Count);
        Assert.Equal(v, many[0].ToFloats().ToArray());
        Assert.NotEqual(v, many[1].ToFloats().ToArray());

        // The same text through the float format gives the same numbers.
        using var http = fixture.CreateClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = "A cat sat on the mat.", encoding_format = "float" });
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        float[] floats = doc.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(v, floats);
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential(ServerFixture.Key), Options);
        OpenAIModelCollection models = await client.GetModelsAsync();
        Assert.Equal("stories260K", Assert.Single(models).Id);
        OpenAIModel model = await client.GetModelAsync("stories260K");
        Assert.Equal("llambda", model.OwnedBy);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetModelAsync("gpt-5"));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Completions_through_http_match_the_engine()
    {
        using var http = fixture.CreateClient();
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 20, temperature = 0, logprobs = 2 });
        Assert.Equal(200, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal(Reference.Complete("Once upon a time", 20), choice.GetProperty("text").GetString());
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal(20, choice.GetProperty("logprobs").GetProperty("tokens").GetArrayLength());
        Assert.Equal(2, choice.GetProperty("logprobs").GetProperty("top_logprobs")[0].EnumerateObject().Count());
        Assert.Equal(20, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Wrong_key_is_401_and_bad_values_are_400_with_our_message()
    {
        var unauthorized = await Assert.ThrowsAsync<ClientResultException>(() => Chat("sk-wrong").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, unauthorized.Status);
        Assert.Contains("Incorrect API key", unauthorized.Message);

        var badTemperature = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync(
            [new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 5 }));
        Assert.Equal(400, badTemperature.Status);
        Assert.Contains("'temperature' must be between 0 and 2, got 5", badTemperature.Message);

        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync(
            [new UserChatMessage(string.Join(' ', Enumerable.Repeat("once upon a time", 200)))]));
        Assert.Equal(400, tooLong.Status);
        Assert.Matches(@"context holds 256 tokens, but the prompt is \d+ tokens", tooLong.Message);
    }

    [Fact]
    public async Task Json_mode_instructs_and_validates()
    {
        // A 260K-parameter story model cannot write JSON: the server says so instead of returning prose as "JSON".
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync(
            [new UserChatMessage("Give me a JSON object with a name.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() }));
        Assert.Equal(500, error.Status);
        Assert.Contains("not a JSON object", error.Message);
    }
}
