using System.Diagnostics;
using Llambda.Models;
using Llambda.Tensors;

namespace Llambda.Inference;

/// <summary>What <see cref="InferenceBenchmark"/> measures: llama-bench's pp/tg tests.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Prompt tokens evaluated as one batch (llama-bench's pp test; 0 skips it).</summary>
    public int PromptTokens { get; init; } = 512;

    /// <summary>Tokens decoded one at a time from an empty context (llama-bench's tg test; 0 skips it).</summary>
    public int GeneratedTokens { get; init; } = 128;

    public int Repetitions { get; init; } = 5;

    /// <summary>Also measure the machine's memory read bandwidth (to report decode's fraction of it).</summary>
    public bool MeasureBandwidth { get; init; } = true;
}

/// <summary>A measured rate: the median of the repetitions, with their spread.</summary>
public sealed record Rate(double Median, double StandardDeviation, IReadOnlyList<double> Samples)
{
    public static Rate Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0) return new Rate(0, 0, samples);
        var sorted = samples.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        double mean = samples.Average();
        double sd = Math.Sqrt(samples.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, samples.Count - 1));
        return new Rate(median, sd, samples);
    }
}

/// <summary>Results of one benchmark run.</summary>
public sealed record BenchmarkReport
{
    public required string Model { get; init; }
    public required long FileBytes { get; init; }
    public required long ParameterCount { get; init; }
    public required int Threads { get; init; }
    public required BenchmarkOptions Options { get; init; }
    public required Rate PrefillTokensPerSecond { get; init; }
    public required Rate DecodeTokensPerSecond { get; init; }
    public required double LoadMilliseconds { get; init; }
    public required long PeakRssBytes { get; init; }

    /// <summary>Bytes of weights one decoded token reads (every matrix once, plus one embedding row).</summary>
    public required long BytesPerToken { get; init; }

    /// <summary>Measured machine read bandwidth in bytes/s (0 when not measured).</summary>
    public required double MachineBandwidth { get; init; }

    public double DecodeBandwidth => DecodeTokensPerSecond.Median * BytesPerToken;
    public double BandwidthFraction => MachineBandwidth > 0 ? DecodeBandwidth / MachineBandwidth : 0;
}

/// <summary>
/// llama-bench's two tests on our engine: pp (a prompt of N tokens as one batch, fresh context) and tg (N tokens
/// decoded one at a time from an empty context), each repeated, plus load time, peak memory and the fraction of the
/// machine's bandwidth that decode reaches. Tokens are random ids: speed does not depend on them.
/// </summary>
public static class InferenceBenchmark
{
    public static BenchmarkReport Run(LoadedModel model, BenchmarkOptions options, Action<string>? progress = null)
    {
        int context = Math.Max(options.PromptTokens, options.GeneratedTokens) + 1;
        var random = new Random(1234);
        int vocab = model.Transformer.VocabSize;
        int[] prompt = Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(vocab)).ToArray();
        int[] decode = Enumerable.Range(0, options.GeneratedTokens).Select(_ => random.Next(vocab)).ToArray();

        // Warm-up: JIT the kernels and fault in the mapped weights before anything is timed.
        var warm = model.CreateSession(context);
        warm.Evaluate(prompt.AsSpan(0, Math.Min(prompt.Length, 16)));
        warm.Evaluate(decode.AsSpan(0, Math.Min(decode.Length, 2)));

        var prefill = new List<double>();
        var generation = new List<double>();
        var session = model.CreateSession(context);
        for (int r = 0; r < options.Repetitions; r++)
        {
            if (options.PromptTokens > 0)
            {
                session.Reset();
                var clock = Stopwatch.StartNew();
                session.Evaluate(prompt);
                prefill.Add(options.PromptTokens / clock.Elapsed.TotalSeconds);
                progress?.Invoke($"pp{options.PromptTokens} run {r + 1}: {prefill[^1]:F1} tok/s");
            }
            if (options.GeneratedTokens > 0)
            {
                session.Reset();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < decode.Length; i++) session.Evaluate(decode.AsSpan(i, 1));
                generation.Add(options.GeneratedTokens / clock.Elapsed.TotalSeconds);
                progress?.Invoke($"tg{options.GeneratedTokens} run {r + 1}: {generation[^1]:F1} tok/s");
            }
        }

        long peakRss = PeakResidentBytes(); // before the bandwidth test, whose buffer is not the model's
        double bandwidth = options.MeasureBandwidth ? MemoryBandwidth.MeasureRead(model.Pool) : 0;
        return new BenchmarkReport
        {
            Model = model.Name,
            FileBytes = model.File.FileSize,
            ParameterCount = model.File.Tensors.Sum(t => t.ElementCount),
            Threads = model.Pool.Threads,
            Options = options,
            PrefillTokensPerSecond = Rate.Of(prefill),
            DecodeTokensPerSecond = Rate.Of(generation),
            LoadMilliseconds = model.LoadTime.TotalMilliseconds,
            PeakRssBytes = peakRss,
            BytesPerToken = BytesReadPerToken(model.Transformer.Weights),
            MachineBandwidth = bandwidth,
        };
    }

    /// <summary>Every weight matrix once per token, plus the one embedding row looked up.</summary>
    public static long BytesReadPerToken(ModelWeights w)
    {
        long bytes = w.TokenEmbedding.RowBytes + w.Output.ByteSize;
        foreach (var l in w.Layers)
            bytes += l.Query.ByteSize + l.Key.ByteSize + l.Value.ByteSize + l.Output.ByteSize + l.Gate.ByteSize + l.Up.ByteSize + l.Down.ByteSize;
        return bytes;
    }

    /// <summary>The process's peak resident set (VmHWM on Linux; the working-set peak elsewhere).</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
