using System.Net;
using System.Text;
using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Server.Tests;

/// <summary>
/// <c>X-Llambda-Deadline-Ms</c> (what the Lambda runtime sends on the requests it forwards): generation ends at that
/// instant with <c>finish_reason: "deadline"</c> (Ollama: <c>done_reason</c>), and a malformed value is a 400.
/// </summary>
public sealed class DeadlineHeaderTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    // A context far longer than a second of generation, so the deadline, not the context, ends the answers below.
    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new ServerOptions
    {
        ModelPath = SharedData.Model(RunningServer.ModelFile),
        ContextLength = 32768,
        Threads = 1,
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static HttpRequestMessage Post(string path, string json, string? deadline)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (deadline is not null) request.Headers.Add("X-Llambda-Deadline-Ms", deadline);
        return request;
    }

    private static string InMs(int ms) => DateTimeOffset.UtcNow.AddMilliseconds(ms).ToUnixTimeMilliseconds().ToString();

    [Fact]
    public async Task Completion_ends_at_the_deadline_with_its_tokens_so_far()
    {
        using var http = _server.CreateClient();
        using var response = await http.SendAsync(Post("/v1/completions",
            """{"prompt": "Once upon a time", "max_tokens": 30000, "ignore_eos": true, "temperature": 0}""", InMs(600)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("deadline", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task A_deadline_already_past_gives_an_empty_answer_not_an_error()
    {
        using var http = _server.CreateClient();
        using var chat = await http.SendAsync(Post("/v1/chat/completions",
            """{"messages": [{"role": "user", "content": "Hi"}], "stream": true}""", InMs(-1000)));
        string sse = await chat.Content.ReadAsStringAsync();
        string[] events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Equal("deadline", JsonDocument.Parse(events[^2]["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        using var ollama = await http.SendAsync(Post("/api/generate", """{"model": "stories260K", "prompt": "Once", "stream": false}""", InMs(-1000)));
        var json = JsonDocument.Parse(await ollama.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("deadline", json.GetProperty("done_reason").GetString());
        Assert.Equal(0, json.GetProperty("eval_count").GetInt32());
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5e12")]
    public async Task A_malformed_deadline_is_a_400_naming_the_header(string value)
    {
        using var http = _server.CreateClient();
        using var response = await http.SendAsync(Post("/v1/completions", """{"prompt": "Once", "max_tokens": 2}""", value));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("X-Llambda-Deadline-Ms", error.GetProperty("param").GetString());
        Assert.Contains("Unix time in milliseconds", error.GetProperty("message").GetString());
    }
}
