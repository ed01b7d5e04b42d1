using System.Text;
using System.Text.Json;

namespace Llambda.Lambda.Tests;

/// <summary>
/// The whole runtime (in this process, with stories260K) against the Runtime API test server written from the
/// published document: every event shape, buffered and streamed answers, each header and status checked.
/// </summary>
[Collection("runtime")]
public class LambdaHostTests(RuntimeHost host)
{
    private static JsonElement Json(byte[] body) => JsonDocument.Parse(body).RootElement.Clone();
    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement.Clone();

    [Fact]
    public async Task Direct_prompt_payload_is_answered_with_text_usage_and_finish_reason()
    {
        RecordedResult result = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = 16, ["temperature"] = 0 });
        Assert.Equal("response", result.Kind);
        Assert.Equal("application/json", result.Header("Content-Type"));
        var json = Json(result.Body);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("text").GetString()));
        Assert.Equal("length", json.GetProperty("finish_reason").GetString());
        Assert.Equal(16, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("stories260K", json.GetProperty("model").GetString());

        // Greedy is deterministic: the same payload gives the same text.
        RecordedResult again = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = 16, ["temperature"] = 0 });
        Assert.Equal(json.GetProperty("text").GetString(), Json(again.Body).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Direct_openai_chat_body_is_answered_as_a_chat_completion()
    {
        RecordedResult result = await host.InvokeAsync(new { model = "stories260K", messages = new[] { new { role = "user", content = "Tell me a story." } }, max_tokens = 8, temperature = 0 });
        Assert.Equal("response", result.Kind);
        var json = Json(result.Body);
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", json.GetProperty("id").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "length", "stop" });
        Assert.True(json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
    }

    [Theory]
    [InlineData("""{"text": "no prompt here"}""", "neither 'prompt' nor 'messages'")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"prompt": "x", "n-generate": "lots"}""", "'n-generate' must be an integer")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task Bad_payload_is_a_handled_error_with_type_header_and_json_body(string payload, string message)
    {
        RecordedResult result = await host.InvokeAsync(payload);
        Assert.Equal("error", result.Kind);
        Assert.EndsWith("/error", result.Path);
        Assert.Equal("Llambda.InvalidRequest", result.Header("Lambda-Runtime-Function-Error-Type"));
        var json = Json(result.Body);
        Assert.Contains(message, json.GetProperty("errorMessage").GetString());
        Assert.Equal("Llambda.InvalidRequest", json.GetProperty("errorType").GetString());

        // The runtime keeps serving after a handled error.
        RecordedResult next = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once", ["n-generate"] = 2 });
        Assert.Equal("response", next.Kind);
    }

    [Fact]
    public async Task Warm_up_and_scheduled_events_are_answered_without_generating()
    {
        foreach (string payload in new[] { """{"warmup": true}""", SampleEvents.Scheduled })
        {
            RecordedResult result = await host.InvokeAsync(payload);
            var json = Json(result.Body);
            Assert.True(json.GetProperty("warm").GetBoolean());
            Assert.Equal("ready", json.GetProperty("state").GetString());
            Assert.False(json.TryGetProperty("text", out _));
        }
    }

    [Fact]
    public async Task Streamed_direct_prompt_arrives_token_by_token_as_ndjson()
    {
        RecordedResult result = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = 48, ["temperature"] = 0, ["stream"] = true });
        Assert.Equal("streaming", result.Header("Lambda-Runtime-Function-Response-Mode"));
        Assert.Equal("chunked", result.Header("Transfer-Encoding"));
        Assert.Equal("application/x-ndjson", result.Header("Content-Type"));
        Assert.Contains("Lambda-Runtime-Function-Error-Type", result.Header("Trailer"));
        Assert.Empty(result.Trailers);
        string[] lines = result.BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var last = Json(lines[^1]);
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("length", last.GetProperty("finish_reason").GetString());
        Assert.True(lines.Length > 10, $"{lines.Length} lines");
        // One chunk frame per line: each token was flushed on its own, not gathered into a buffered body.
        Assert.Equal(lines.Length, result.ChunkFrames);

        // Same text as the buffered answer.
        RecordedResult buffered = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = 48, ["temperature"] = 0 });
        string streamed = string.Concat(lines.Select(l => Json(l).GetProperty("text").GetString()));
        Assert.Equal(Json(buffered.Body).GetProperty("text").GetString(), streamed);
    }

    [Fact]
    public async Task Streamed_direct_chat_is_openai_sse_ending_in_done()
    {
        RecordedResult result = await host.InvokeAsync(new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 8, stream = true });
        Assert.Equal("text/event-stream", result.Header("Content-Type"));
        string[] events = result.BodyText.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var final = Json(events[^2]["data: ".Length..]);
        Assert.Equal("chat.completion.chunk", final.GetProperty("object").GetString());
        Assert.NotEqual(JsonValueKind.Null, final.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
    }

    [Fact]
    public async Task Function_url_streams_server_routes_with_the_http_integration_prelude()
    {
        RecordedResult result = await host.InvokeAsync(SampleEvents.FunctionUrl("POST", "/v1/completions", new { prompt = "Once upon a time", max_tokens = 64, temperature = 0, stream = true }));
        Assert.Equal("streaming", result.Header("Lambda-Runtime-Function-Response-Mode"));
        Assert.Equal("application/vnd.awslambda.http-integration-response", result.Header("Content-Type"));
        Assert.Equal("chunked", result.Header("Transfer-Encoding"));
        var (prelude, body) = RuntimeApiClientTests.SplitPrelude(result.Body);
        Assert.Equal(200, prelude.GetProperty("statusCode").GetInt32());
        Assert.StartsWith("text/event-stream", prelude.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.EndsWith("data: [DONE]\n\n", body);
        Assert.True(body.Split("data: ").Length > 5);
        // The prelude is one frame; the body is forwarded read by read as the server flushes its events. How many
        // events one read gathers depends on timing, but 64 tokens do not all fit into one read's time.
        Assert.True(result.ChunkFrames > 2, $"the SSE stream came in {result.ChunkFrames} frames");
    }

    [Fact]
    public async Task Function_url_serves_ollama_routes_and_404s_in_the_servers_json_shape()
    {
        RecordedResult tags = await host.InvokeAsync(SampleEvents.FunctionUrl("GET", "/api/tags"));
        var (prelude, body) = RuntimeApiClientTests.SplitPrelude(tags.Body);
        Assert.Equal(200, prelude.GetProperty("statusCode").GetInt32());
        Assert.Contains("stories260K", body);

        RecordedResult generate = await host.InvokeAsync(SampleEvents.FunctionUrl("POST", "/api/generate", new { model = "stories260K", prompt = "Once", stream = true, options = new { num_predict = 6 } }));
        var (_, ndjson) = RuntimeApiClientTests.SplitPrelude(generate.Body);
        Assert.True(Json(ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).GetProperty("done").GetBoolean());

        RecordedResult missing = await host.InvokeAsync(SampleEvents.FunctionUrl("GET", "/nope"));
        var (p404, b404) = RuntimeApiClientTests.SplitPrelude(missing.Body);
        Assert.Equal(404, p404.GetProperty("statusCode").GetInt32());
        Assert.Contains("\"error\"", b404);
    }

    [Fact]
    public async Task Http_api_v2_is_buffered_into_the_v2_response_format()
    {
        RecordedResult result = await host.InvokeAsync(SampleEvents.HttpApi("POST", "/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 4 }));
        Assert.Equal("response", result.Kind);
        Assert.Null(result.Header("Lambda-Runtime-Function-Response-Mode"));
        var json = Json(result.Body);
        Assert.Equal(200, json.GetProperty("statusCode").GetInt32());
        Assert.False(json.GetProperty("isBase64Encoded").GetBoolean());
        Assert.True(json.TryGetProperty("cookies", out _));
        var completion = Json(json.GetProperty("body").GetString()!);
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Rest_api_v1_and_alb_reach_the_same_routes()
    {
        RecordedResult rest = await host.InvokeAsync(SampleEvents.RestApi("GET", "/v1/models"));
        var v1 = Json(rest.Body);
        Assert.Equal(200, v1.GetProperty("statusCode").GetInt32());
        Assert.True(v1.TryGetProperty("multiValueHeaders", out _));
        Assert.Contains("stories260K", v1.GetProperty("body").GetString());

        RecordedResult alb = await host.InvokeAsync(SampleEvents.Alb("GET", "/health"));
        var albJson = Json(alb.Body);
        Assert.Equal(200, albJson.GetProperty("statusCode").GetInt32());
        Assert.Equal("200 OK", albJson.GetProperty("statusDescription").GetString());
        Assert.Equal("ok", Json(albJson.GetProperty("body").GetString()!).GetProperty("status").GetString());

        RecordedResult albPost = await host.InvokeAsync(SampleEvents.Alb("POST", "/v1/completions", new { prompt = "Once", max_tokens = 3 }, multiValue: true));
        var albPostJson = Json(albPost.Body);
        Assert.Equal(200, albPostJson.GetProperty("statusCode").GetInt32());
        Assert.True(albPostJson.TryGetProperty("multiValueHeaders", out _));
    }
}
