using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Llambda.Server;

/// <summary>
/// Counters for <c>/metrics</c> in Prometheus' text exposition format (version 0.0.4). Hand-written rather than a
/// metrics library: a dozen series, no dependency, and nothing allocated on the token path.
/// </summary>
public sealed class ServerMetrics
{
    // Time to first token and per-request decode speed are histograms so percentiles can be computed server-side.
    private static readonly double[] s_ttftBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] s_speedBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, long> _finishReasons = new();
    private readonly Histogram _ttft = new(s_ttftBuckets);
    private readonly Histogram _tokensPerSecond = new(s_speedBuckets);
    private long _promptTokens, _completionTokens, _rejected;

    /// <summary>Reads the scheduler's live gauges (slots, queue) when scraped.</summary>
    internal Func<(int Busy, int Total, int Queued)>? Gauges { get; set; }

    internal double? ModelLoadSeconds { get; set; }
    internal int ModelState { get; set; } // 0 loading, 1 ready, 2 failed

    public void RecordRequest(string route, int status) => _requests.AddOrUpdate((route, status), 1, static (_, n) => n + 1);

    public void RecordRejected() => Interlocked.Increment(ref _rejected);

    public void RecordFirstToken(TimeSpan sinceRequest) => _ttft.Observe(sinceRequest.TotalSeconds);

    public void RecordGeneration(int promptTokens, int completionTokens, double tokensPerSecond, string finishReason)
    {
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
        if (tokensPerSecond > 0) _tokensPerSecond.Observe(tokensPerSecond);
        _finishReasons.AddOrUpdate(finishReason, 1, static (_, n) => n + 1);
    }

    public void RecordEmbedding(int promptTokens) => Interlocked.Add(ref _promptTokens, promptTokens);

    public long FinishCount(string reason) => _finishReasons.GetValueOrDefault(reason);

    public string Render()
    {
        var inv = CultureInfo.InvariantCulture;
        var s = new StringBuilder(4096);
        void Header(string name, string type, string help) => s.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        Header("llambda_http_requests_total", "counter", "HTTP requests by route pattern and status code (499: the client disconnected).");
        foreach (var ((route, status), n) in _requests.OrderBy(kv => kv.Key.Route, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            s.Append(inv, $"llambda_http_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {n}\n");

        Header("llambda_requests_rejected_total", "counter", "Requests refused with 429 because every slot and queue place was taken.");
        s.Append(inv, $"llambda_requests_rejected_total {Interlocked.Read(ref _rejected)}\n");

        Header("llambda_prompt_tokens_total", "counter", "Prompt tokens received (generation and embeddings).");
        s.Append(inv, $"llambda_prompt_tokens_total {Interlocked.Read(ref _promptTokens)}\n");
        Header("llambda_completion_tokens_total", "counter", "Tokens generated.");
        s.Append(inv, $"llambda_completion_tokens_total {Interlocked.Read(ref _completionTokens)}\n");

        Header("llambda_generations_total", "counter", "Finished generations by finish reason.");
        foreach (var (reason, n) in _finishReasons.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            s.Append(inv, $"llambda_generations_total{{finish_reason=\"{Escape(reason)}\"}} {n}\n");

        Header("llambda_time_to_first_token_seconds", "histogram", "From the request's arrival (queue wait included) to its first generated token.");
        _ttft.Render(s, "llambda_time_to_first_token_seconds");
        Header("llambda_generation_tokens_per_second", "histogram", "Decode speed of each generation.");
        _tokensPerSecond.Render(s, "llambda_generation_tokens_per_second");

        var (busy, total, queued) = Gauges?.Invoke() ?? (0, 0, 0);
        Header("llambda_queue_depth", "gauge", "Requests waiting for a slot.");
        s.Append(inv, $"llambda_queue_depth {queued}\n");
        Header("llambda_slots_busy", "gauge", "Slots generating now.");
        s.Append(inv, $"llambda_slots_busy {busy}\n");
        Header("llambda_slots_total", "gauge", "Slots (--parallel).");
        s.Append(inv, $"llambda_slots_total {total}\n");

        Header("llambda_model_ready", "gauge", "1 when the model is loaded and serving.");
        s.Append(inv, $"llambda_model_ready {(ModelState == 1 ? 1 : 0)}\n");
        Header("llambda_model_load_seconds", "gauge", "Seconds the model took to load.");
        if (ModelLoadSeconds is double load) s.Append(inv, $"llambda_model_load_seconds {load:0.######}\n");
        return s.ToString();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>Cumulative buckets in Prometheus' layout; a lock is fine here, this runs once per request.</summary>
    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Observe(double value)
        {
            lock (_counts)
            {
                int i = 0;
                while (i < bounds.Length && value > bounds[i]) i++;
                _counts[i]++;
                _sum += value;
                _count++;
            }
        }

        public void Render(StringBuilder s, string name)
        {
            var inv = CultureInfo.InvariantCulture;
            lock (_counts)
            {
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    s.Append(inv, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                s.Append(inv, $"{name}_bucket{{le=\"+Inf\"}} {_count}\n");
                s.Append(inv, $"{name}_sum {_sum:0.######}\n");
                s.Append(inv, $"{name}_count {_count}\n");
            }
        }
    }
}

internal static class MetricsMiddleware
{
    /// <summary>Counts every request by its route pattern (not its raw path, which would make a series per URL).</summary>
    public static void UseRequestMetrics(this WebApplication app, ServerMetrics metrics)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                // nginx's 499: the client closed the connection, whatever status line went out before.
                int status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
                metrics.RecordRequest(route, status);
            }
        });
    }
}
