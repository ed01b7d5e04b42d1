using System.Text;
using System.Text.Json;

namespace Llambda.Lambda.Tests;

/// <summary>The Runtime API client against the test server written from the published Runtime API document.</summary>
[Collection("runtime")]
public class RuntimeApiClientTests : IAsyncLifetime
{
    private RuntimeApiDocumentServer _api = null!;
    private RuntimeApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await RuntimeApiDocumentServer.StartAsync();
        _client = new RuntimeApiClient(_api.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Next_reads_every_invocation_header_and_sets_the_trace_id_variable()
    {
        var answered = _api.InvokeAsync("""{"prompt":"x"}""", TimeSpan.FromSeconds(30), traceId: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            clientContext: """{"client":{"app_title":"t"}}""", cognitoIdentity: """{"cognitoIdentityId":"id"}""", requestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        Invocation invocation = await _client.NextAsync();
        Assert.Equal("8476a536-e9f4-11e8-9739-2dfe598c3fcd", invocation.RequestId);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:llambda-test", invocation.FunctionArn);
        Assert.InRange(invocation.Deadline!.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));
        Assert.Equal("""{"client":{"app_title":"t"}}""", invocation.ClientContext);
        Assert.Equal("""{"cognitoIdentityId":"id"}""", invocation.CognitoIdentity);
        Assert.Equal("""{"prompt":"x"}""", Encoding.UTF8.GetString(invocation.Payload.Span));
        Assert.Equal(invocation.TraceId, Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID"));
        Assert.StartsWith("Root=1-5759e988", invocation.TraceId);

        await _client.SendResponseAsync(invocation.RequestId, "{\"ok\":true}"u8.ToArray());
        RecordedResult result = await answered;
        Assert.Equal("response", result.Kind);
        Assert.Equal("/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response", result.Path);
        Assert.Equal("application/json", result.Header("Content-Type"));
        Assert.Null(result.Header("Lambda-Runtime-Function-Response-Mode"));
        Assert.Equal("{\"ok\":true}", result.BodyText);

        // The next invocation has no trace id: the variable must not keep the previous one.
        var second = _api.InvokeAsync("{}");
        var next = await _client.NextAsync();
        Assert.Null(Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID"));
        await _client.SendResponseAsync(next.RequestId, "{}"u8.ToArray());
        await second;
    }

    [Fact]
    public async Task Error_posts_the_type_header_and_the_documented_json_body()
    {
        var answered = _api.InvokeAsync("{}");
        var invocation = await _client.NextAsync();
        await _client.SendErrorAsync(invocation.RequestId, RuntimeError.InvalidRequest("no prompt"));
        RecordedResult result = await answered;
        Assert.Equal("error", result.Kind);
        Assert.Equal("Llambda.InvalidRequest", result.Header("Lambda-Runtime-Function-Error-Type"));
        using var body = JsonDocument.Parse(result.Body);
        Assert.Equal("no prompt", body.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("Llambda.InvalidRequest", body.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("stackTrace").GetArrayLength());
    }

    [Fact]
    public async Task Init_error_goes_to_its_own_path()
    {
        await _client.SendInitErrorAsync(RuntimeError.ModelLoadFailed("missing.gguf not found"));
        RecordedResult result = await _api.InitError;
        Assert.Equal("/2018-06-01/runtime/init/error", result.Path);
        Assert.Equal("Llambda.ModelLoadFailed", result.Header("Lambda-Runtime-Function-Error-Type"));
        Assert.Contains("missing.gguf", result.BodyText);
    }

    [Fact]
    public async Task A_refused_call_surfaces_the_status_code()
    {
        var e = await Assert.ThrowsAsync<RuntimeApiException>(() => _client.SendResponseAsync("no-such-request", "{}"u8.ToArray()));
        Assert.Equal(400, e.StatusCode);
        Assert.False(e.IsFatal);
        Assert.Contains("InvalidRequestID", e.Message);
        Assert.Throws<ArgumentException>(() => new RuntimeApiClient("http://127.0.0.1:9001"));
    }

    [Fact]
    public async Task Streamed_response_sends_the_mode_header_chunked_body_and_flushes_each_write()
    {
        var answered = _api.InvokeAsync("{}");
        var invocation = await _client.NextAsync();
        await using (var stream = await _client.StartStreamingResponseAsync(invocation.RequestId, "text/plain"))
        {
            for (int i = 0; i < 3; i++)
            {
                await stream.WriteAsync($"part {i}\n");
                await Task.Delay(150);
            }
            await stream.CompleteAsync();
        }
        RecordedResult result = await answered;
        Assert.Equal("streaming", result.Header("Lambda-Runtime-Function-Response-Mode"));
        Assert.Equal("chunked", result.Header("Transfer-Encoding"));
        Assert.Equal("Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body", result.Header("Trailer"));
        Assert.Equal("text/plain", result.Header("Content-Type"));
        Assert.Equal("part 0\npart 1\npart 2\n", result.BodyText);
        // Flushed per write: three frames on the wire, the first read long before the last.
        Assert.Equal(3, result.ChunkFrames);
        Assert.True(result.Chunks[^1].At - result.Chunks[0].At >= TimeSpan.FromMilliseconds(250));
        Assert.Empty(result.Trailers);
    }

    [Fact]
    public async Task Mid_stream_failure_is_reported_in_the_error_trailers()
    {
        var answered = _api.InvokeAsync("{}");
        var invocation = await _client.NextAsync();
        await using (var stream = await _client.StartStreamingResponseAsync(invocation.RequestId, StreamingResponseWriter.HttpIntegrationContentType))
        {
            await stream.WriteHttpPreludeAsync(200, [new("Content-Type", "text/event-stream")], ["session=1"]);
            await stream.WriteAsync("data: partial\n\n");
            await stream.FailAsync(new RuntimeError("Llambda.InternalError", "the model stopped"));
        }
        RecordedResult result = await answered;
        Assert.Equal("Llambda.InternalError", result.Trailers["Lambda-Runtime-Function-Error-Type"]);
        using var error = JsonDocument.Parse(Convert.FromBase64String(result.Trailers["Lambda-Runtime-Function-Error-Body"]));
        Assert.Equal("the model stopped", error.RootElement.GetProperty("errorMessage").GetString());

        // The HTTP integration prelude: JSON, eight NUL bytes, then the body.
        var (prelude, body) = SplitPrelude(result.Body);
        Assert.Equal(200, prelude.GetProperty("statusCode").GetInt32());
        Assert.Equal("text/event-stream", prelude.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.Equal("session=1", prelude.GetProperty("cookies")[0].GetString());
        Assert.Equal("data: partial\n\n", body);
    }

    /// <summary>Splits an HTTP integration response into its prelude and its body.</summary>
    public static (JsonElement Prelude, string Body) SplitPrelude(byte[] bytes)
    {
        int at = bytes.AsSpan().IndexOf(new byte[StreamingResponseWriter.PreludeDelimiterLength]);
        Assert.True(at > 0, "no 8-NUL delimiter after the prelude");
        var prelude = JsonDocument.Parse(bytes.AsMemory(0, at)).RootElement.Clone();
        return (prelude, Encoding.UTF8.GetString(bytes, at + StreamingResponseWriter.PreludeDelimiterLength, bytes.Length - at - StreamingResponseWriter.PreludeDelimiterLength));
    }
}
