using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Llambda.Testing;
using InferenceChat = Llambda.Inference.ChatMessage;

namespace Llambda.Server.Tests;

/// <summary>Many clients at once, a full queue, and a client that hangs up.</summary>
[Collection("server")]
public sealed class ConcurrencyTests(ServerFixture fixture)
{
    /// <summary>Reads an SSE chat stream and returns the concatenated content.</summary>
    internal static async Task<string> StreamChatAsync(HttpClient http, string userText, int maxTokens)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { messages = new[] { new { role = "user", content = userText } }, stream = true, temperature = 0, max_tokens = maxTokens }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var text = new StringBuilder();
        bool done = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line[6..];
            if (data == "[DONE]") { done = true; break; }
            using var doc = JsonDocument.Parse(data);
            foreach (JsonElement choice in doc.RootElement.GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("delta").TryGetProperty("content", out JsonElement c)) text.Append(c.GetString());
        }
        Assert.True(done, "the stream ended without [DONE]");
        return text.ToString();
    }

    [Fact]
    public async Task Eight_concurrent_streams_each_get_the_answer_they_would_get_alone()
    {
        string[] prompts = ["Once upon a time", "The cat", "Lily went to the park", "Tom had a big red ball",
                            "The sun was shining", "A little bird", "Mom said", "The dog was sad"];
        string[] expected = prompts.Select(p => Reference.Chat([new InferenceChat("user", p)], 40)).ToArray();
        Assert.True(expected.Distinct().Count() > 4, "the prompts should lead to different answers");

        using var http = fixture.CreateClient();
        string[] actual = await Task.WhenAll(prompts.Select(p => Task.Run(() => StreamChatAsync(http, p, 40))));
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions
        {
            ModelPath = SharedData.Model(RunningServer.ModelFile), Parallel = 1, QueueLimit = 1, ContextLength = 256,
        });
        var scheduler = running.Server.Host.GetReady().Scheduler;
        using var http = running.CreateClient();
        var body = new { prompt = "Once upon a time", max_tokens = 8, temperature = 0 };

        // Hold the only slot ourselves, so what follows does not depend on timing.
        var held = await scheduler.AcquireAsync(ReadOnlyMemory<int>.Empty, CancellationToken.None);
        Task<HttpResponseMessage> queued = http.PostAsJsonAsync("/v1/completions", body);
        await WaitUntilAsync(() => scheduler.QueueDepth == 1);

        using var refused = await http.PostAsJsonAsync("/v1/completions", body);
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("server_busy", await refused.Content.ReadAsStringAsync());

        held.Dispose();
        using var served = await queued;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("llambda_requests_rejected_total 1", await http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_client_that_disconnects_stops_its_generation_and_frees_the_slot()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions
        {
            ModelPath = SharedData.Model(RunningServer.ModelFile), Parallel = 1, ContextLength = 8192,
        });
        var scheduler = running.Server.Host.GetReady().Scheduler;
        using var http = running.CreateClient();

        // Thousands of tokens past end-of-text: many seconds of work if nobody stopped it.
        using var cancel = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "Once upon a time", max_tokens = 8000, ignore_eos = true, stream = true, temperature = 0 }),
        };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        for (int events = 0; events < 5;)
            if ((await reader.ReadLineAsync(cancel.Token))?.StartsWith("data: ", StringComparison.Ordinal) == true) events++;
        Assert.Equal(1, scheduler.BusySlots);

        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        response.Dispose();
        await WaitUntilAsync(() => scheduler.BusySlots == 0);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the slot was freed after {clock.Elapsed}");
        await WaitUntilAsync(() => running.Server.Metrics.FinishCount("cancelled") == 1);

        // The next request is served at once, not after the abandoned one would have finished.
        clock.Restart();
        using var next = await http.PostAsJsonAsync("/v1/completions", new { prompt = "The cat", max_tokens = 8, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the next request took {clock.Elapsed}");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("condition not reached in time");
            await Task.Delay(10);
        }
    }
}
