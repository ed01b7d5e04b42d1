using System.Net.Http.Json;
using System.Text.Json;
using InferenceChat = Llambda.Inference.ChatMessage;

namespace Llambda.Server.Tests;

/// <summary>Ollama's routes as its clients use them: NDJSON lines, read one at a time.</summary>
[Collection("server")]
public sealed class OllamaTests(ServerFixture fixture)
{
    private static async Task<List<JsonElement>> ReadLinesAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return lines;
    }

    [Fact]
    public async Task Generate_streams_lines_then_a_done_object_with_counts_in_nanoseconds()
    {
        using var http = fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/generate")
        {
            Content = JsonContent.Create(new { model = "stories260K", prompt = "Once upon a time", raw = true, options = new { temperature = 0, num_predict = 20 } }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var lines = await ReadLinesAsync(response);

        Assert.True(lines.Count > 5);
        Assert.All(lines[..^1], l => Assert.False(l.GetProperty("done").GetBoolean()));
        JsonElement done = lines[^1];
        Assert.True(done.GetProperty("done").GetBoolean());
        Assert.Equal("length", done.GetProperty("done_reason").GetString());
        Assert.Equal(20, done.GetProperty("eval_count").GetInt32());
        Assert.True(done.GetProperty("prompt_eval_count").GetInt32() > 0);
        Assert.True(done.GetProperty("eval_duration").GetInt64() > 0);
        Assert.True(done.GetProperty("total_duration").GetInt64() >= done.GetProperty("eval_duration").GetInt64());
        string text = string.Concat(lines.Select(l => l.GetProperty("response").GetString()));
        Assert.Equal(Reference.Complete("Once upon a time", 20), text);
        Assert.True(done.GetProperty("context").GetArrayLength() > 20);
    }

    [Fact]
    public async Task Chat_streams_message_pieces_and_non_streaming_returns_one_object()
    {
        using var http = fixture.CreateClient();
        var body = new { model = "stories260K", messages = new[] { new { role = "user", content = "Once upon a time" } }, options = new { temperature = 0, num_predict = 24 } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var lines = await ReadLinesAsync(response);
        string streamed = string.Concat(lines.Select(l => l.GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(Reference.Chat([new InferenceChat("user", "Once upon a time")], 24), streamed);
        Assert.Equal("assistant", lines[0].GetProperty("message").GetProperty("role").GetString());
        Assert.True(lines[^1].GetProperty("done").GetBoolean());

        using var single = await http.PostAsJsonAsync("/api/chat", new { body.model, body.messages, body.options, stream = false });
        using var doc = JsonDocument.Parse(await single.Content.ReadAsStringAsync());
        Assert.Equal(streamed, doc.RootElement.GetProperty("message").GetProperty("content").GetString());
        Assert.True(doc.RootElement.GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task Tags_embed_and_version()
    {
        using var http = fixture.CreateClient();
        using var tags = JsonDocument.Parse(await http.GetStringAsync("/api/tags"));
        JsonElement model = tags.RootElement.GetProperty("models")[0];
        Assert.Equal("stories260K:latest", model.GetProperty("name").GetString());
        Assert.Equal("gguf", model.GetProperty("details").GetProperty("format").GetString());
        Assert.True(model.GetProperty("size").GetInt64() > 0);

        using var embed = await http.PostAsJsonAsync("/api/embed", new { model = "stories260K", input = new[] { "a cat", "a dog" } });
        using var doc = JsonDocument.Parse(await embed.Content.ReadAsStringAsync());
        var vectors = doc.RootElement.GetProperty("embeddings");
        Assert.Equal(2, vectors.GetArrayLength());
        Assert.Equal(Reference.Model.Config.EmbeddingLength, vectors[0].GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("prompt_eval_count").GetInt32() > 2);

        using var version = JsonDocument.Parse(await http.GetStringAsync("/api/version"));
        Assert.False(string.IsNullOrEmpty(version.RootElement.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Errors_use_ollamas_shape()
    {
        using var http = fixture.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/chat", new { model = "stories260K" });
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("'messages' is required.", doc.RootElement.GetProperty("error").GetString());
    }
}
