using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Llambda.Inference;
using Llambda.Testing;

namespace Llambda.Server.Tests;

/// <summary>The port opens before the model is loaded; /health and /metrics tell the truth at every stage.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Health_says_loading_then_ok_and_requests_wait_with_503()
    {
        using var gate = new ManualResetEventSlim();
        await using var running = await RunningServer.StartAsync(loader: () =>
        {
            gate.Wait(TimeSpan.FromSeconds(30));
            return LoadedModel.Load(SharedData.Model(RunningServer.ModelFile));
        }, waitUntilReady: false);
        using var http = running.CreateClient();

        using (var loading = await http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
            Assert.Equal("loading", JsonDocument.Parse(await loading.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }
        using (var early = await http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } }))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
            Assert.Equal("1", early.Headers.GetValues("Retry-After").Single());
            Assert.Contains("model_loading", await early.Content.ReadAsStringAsync());
        }
        Assert.Contains("llambda_model_ready 0", await http.GetStringAsync("/metrics"));

        gate.Set();
        await running.Server.Host.WhenSettled.WaitAsync(TimeSpan.FromSeconds(30));
        using var ready = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("{\"status\":\"ok\",\"model\":\"stories260K\"}", await ready.Content.ReadAsStringAsync());
        string metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("llambda_model_ready 1", metrics);
        Assert.Matches(@"llambda_model_load_seconds \d", metrics);
    }

    [Fact]
    public async Task A_bad_model_file_shows_in_health_without_a_stack_trace()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions
        {
            ModelPath = Path.Combine(SharedData.ModelsDir, "bad", "stories260k-gguf-v1.gguf"),
        });
        using var http = running.CreateClient();
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.InternalServerError, health.StatusCode);
        string body = await health.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("error", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains("version", doc.RootElement.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(".cs:line", body);
        Assert.DoesNotContain("Exception", body);

        using var chat = await http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.Contains("model_load_failed", await chat.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_count_requests_tokens_and_first_token_times()
    {
        await using var running = await RunningServer.StartAsync();
        using var http = running.CreateClient();
        for (int i = 0; i < 2; i++)
            (await http.PostAsJsonAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 10, temperature = 0 })).EnsureSuccessStatusCode();
        await http.PostAsJsonAsync("/v1/completions", new { prompt = "x", max_tokens = -1 });

        using var response = await http.GetAsync("/metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        string metrics = await response.Content.ReadAsStringAsync();
        Assert.Contains("llambda_http_requests_total{route=\"/v1/completions\",status=\"200\"} 2", metrics);
        Assert.Contains("llambda_http_requests_total{route=\"/v1/completions\",status=\"400\"} 1", metrics);
        Assert.Contains("llambda_completion_tokens_total 20", metrics);
        Assert.Contains("llambda_time_to_first_token_seconds_count 2", metrics);
        Assert.Contains("llambda_generation_tokens_per_second_count 2", metrics);
        Assert.Contains("llambda_queue_depth 0", metrics);
        Assert.Contains("# TYPE llambda_time_to_first_token_seconds histogram", metrics);
    }
}
