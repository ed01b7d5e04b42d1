using System.Diagnostics;
using System.Text.Json;
using Llambda.Inference;

namespace Llambda.Lambda.Tests;

/// <summary>
/// Deadlines and the init phase, against the Runtime API test server written from the published document (which,
/// unlike @vercel/fun, sends real <c>Lambda-Runtime-Deadline-Ms</c> values).
/// </summary>
[Collection("runtime")]
public class DeadlineAndInitTests(RuntimeHost host)
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public async Task Two_second_deadline_returns_a_partial_answer_before_it()
    {
        // Without a deadline this would run until 32768 tokens: far past two seconds.
        var clock = Stopwatch.StartNew();
        RecordedResult result = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = -1, ["ignore_eos"] = true }, TimeSpan.FromSeconds(2));
        Assert.Equal("response", result.Kind);
        Assert.True(result.CompletedAt < result.Deadline, $"answered {(result.CompletedAt - result.Deadline!.Value).TotalMilliseconds:F0} ms after the deadline");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        var json = Json(result.BodyText);
        Assert.Equal("deadline", json.GetProperty("finish_reason").GetString());
        Assert.True(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 10);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Streamed_generation_ends_at_the_deadline_with_the_finish_reason_in_the_last_line()
    {
        RecordedResult result = await host.InvokeAsync(new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = -1, ["ignore_eos"] = true, ["stream"] = true }, TimeSpan.FromSeconds(2));
        Assert.True(result.CompletedAt < result.Deadline);
        string[] lines = result.BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("deadline", Json(lines[^1]).GetProperty("finish_reason").GetString());
        Assert.True(lines.Length > 10);
        Assert.Empty(result.Trailers);
    }

    [Fact]
    public async Task Http_routes_end_at_the_deadline_with_finish_reason_deadline()
    {
        // The runtime forwards the stop instant (X-Llambda-Deadline-Ms); the server's routes end there properly.
        var body = new { prompt = "Once upon a time", max_tokens = 30000, ignore_eos = true, stream = true };
        // 3 s: the runtime stops generation 0.75 s before the deadline (a quarter of the time), which leaves a busy
        // 2-core CI machine time to flush the tail of the stream.
        RecordedResult streamed = await host.InvokeAsync(SampleEvents.FunctionUrl("POST", "/v1/completions", body), TimeSpan.FromSeconds(3));
        Assert.True(streamed.CompletedAt < streamed.Deadline, "the stream ended after the deadline");
        var (prelude, sse) = RuntimeApiClientTests.SplitPrelude(streamed.Body);
        Assert.Equal(200, prelude.GetProperty("statusCode").GetInt32());
        string[] events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(events.Length > 10, $"{events.Length} events");
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Equal("deadline", Json(events[^2]["data: ".Length..]).GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        RecordedResult buffered = await host.InvokeAsync(SampleEvents.HttpApi("POST", "/v1/completions", body with { stream = false }), TimeSpan.FromSeconds(3));
        Assert.True(buffered.CompletedAt < buffered.Deadline, "the buffered answer came after the deadline");
        var json = Json(buffered.BodyText);
        Assert.Equal(200, json.GetProperty("statusCode").GetInt32());
        var completion = Json(json.GetProperty("body").GetString()!);
        Assert.Equal("deadline", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 10);

        RecordedResult ollama = await host.InvokeAsync(SampleEvents.FunctionUrl("POST", "/api/generate",
            new { model = "stories260K", prompt = "Once", stream = true, options = new { num_predict = 30000, temperature = 0 } }), TimeSpan.FromSeconds(3));
        var (_, ndjson) = RuntimeApiClientTests.SplitPrelude(ollama.Body);
        var last = Json(ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("deadline", last.GetProperty("done_reason").GetString());
    }

    [Fact]
    public async Task Model_that_cannot_load_is_an_init_error()
    {
        await using var api = await RuntimeApiDocumentServer.StartAsync();
        var log = new StringWriter();
        int code = await LambdaHost.RunAsync(new LambdaOptions { RuntimeApi = api.Endpoint, Model = "/nonexistent/missing.gguf" }, log: log)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, code);
        RecordedResult error = await api.InitError.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("/2018-06-01/runtime/init/error", error.Path);
        Assert.Equal("Llambda.ModelLoadFailed", error.Header("Lambda-Runtime-Function-Error-Type"));
        Assert.Contains("missing.gguf", Json(error.BodyText).GetProperty("errorMessage").GetString());
        Assert.Equal(0, api.NextCalls);
    }

    [Fact]
    public async Task Load_longer_than_the_init_budget_continues_into_the_first_invocation()
    {
        await using var api = await RuntimeApiDocumentServer.StartAsync();
        var loaded = new TaskCompletionSource<DateTimeOffset>();
        LoadedModel SlowLoad()
        {
            Thread.Sleep(1500); // a download or a large file: longer than the init budget below
            var model = LoadedModel.Load(RuntimeHost.ModelPath, new ModelOptions { Threads = 1 });
            loaded.SetResult(DateTimeOffset.UtcNow);
            return model;
        }

        using var stop = new CancellationTokenSource();
        var log = new StringWriter();
        var options = new LambdaOptions { RuntimeApi = api.Endpoint, InitBudget = TimeSpan.FromMilliseconds(200) };
        Task<int> running = Task.Run(() => LambdaHost.RunAsync(options, SlowLoad, TextWriter.Synchronized(log), stop.Token));

        // The first event is queued at once; the runtime has ended init (asked for it) before the model is loaded.
        RecordedResult result = await api.InvokeAsync("""{"prompt": "Once", "n-generate": 4}""", TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(30));
        DateTimeOffset loadedAt = await loaded.Task;
        Assert.True(api.FirstNextAt < loadedAt, $"init waited for the whole load: first next {api.FirstNextAt:HH:mm:ss.fff}, loaded {loadedAt:HH:mm:ss.fff}\n{log}");
        Assert.Equal("response", result.Kind);
        Assert.Equal(4, Json(result.BodyText).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Contains("still loading", log.ToString());

        stop.Cancel();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Shutdown_while_an_answer_is_being_posted_stops_cleanly_document_server()
    {
        // Written from the Runtime API document: the server records the answer, then holds its 202 while the runtime
        // is told to stop (SIGTERM in Lambda); the host must end with 0, as between events, not throw.
        await using var api = await RuntimeApiDocumentServer.StartAsync();
        api.AcceptDelay = TimeSpan.FromSeconds(5);
        using var stop = new CancellationTokenSource();
        var log = new StringWriter();
        var options = new LambdaOptions { RuntimeApi = api.Endpoint };
        Task<int> running = Task.Run(() => LambdaHost.RunAsync(options, () => LoadedModel.Load(RuntimeHost.ModelPath, new ModelOptions { Threads = 1 }),
            TextWriter.Synchronized(log), stop.Token));

        RecordedResult result = await api.InvokeAsync("""{"prompt": "Once", "n-generate": 2}""", TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("response", result.Kind);
        stop.Cancel(); // the host is still waiting for the 202
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
