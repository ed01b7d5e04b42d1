using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Models;

namespace Llambda.Planner;

/// <summary>One measurement at a thread count, normalised so it transfers to other models of the same tensor type.</summary>
/// <param name="PrefillParamTokensPerSecond">prefill tok/s × parameters: prefill is compute-bound, work ∝ parameters.</param>
/// <param name="DecodeBytesPerSecond">decode tok/s × weight bytes: decode is memory-bound, every token reads every weight.</param>
public sealed record CalibrationPoint(int Threads, double PrefillTokensPerSecond, double DecodeTokensPerSecond,
    double PrefillParamTokensPerSecond, double DecodeBytesPerSecond);

/// <summary>Speed of this machine for one weight type, at 1..N threads, plus its memory bandwidth.</summary>
public sealed record Calibration(string Machine, string WeightType, string Model, long ModelWeightBytes, long ModelParameters,
    DateTime MeasuredUtc, double BandwidthBytesPerSecondOneThread, double BandwidthBytesPerSecondAllThreads,
    double LoadBytesPerSecond, IReadOnlyList<CalibrationPoint> Points)
{
    [JsonIgnore]
    public CalibrationPoint OneThread => Points.First(p => p.Threads == 1);

    /// <summary>Measured speed-up per added thread, 0..1 (1 = perfect scaling), for prefill and decode.</summary>
    [JsonIgnore]
    public (double Prefill, double Decode) ParallelEfficiency
    {
        get
        {
            var top = Points.MaxBy(p => p.Threads)!;
            if (top.Threads <= 1) return (0.9, 0.9); // one core here: assume near-linear, like measured elsewhere
            return (Math.Min(1, top.PrefillParamTokensPerSecond / (top.Threads * OneThread.PrefillParamTokensPerSecond)),
                    Math.Min(1, top.DecodeBytesPerSecond / (top.Threads * OneThread.DecodeBytesPerSecond)));
        }
    }
}

/// <summary>
/// Measures prefill and decode speed of a model at 1..N threads on this machine (a small <c>bench</c>), and caches
/// the result per machine and weight type in a JSON file, so planning a 7B model can reuse what a 1B model of the
/// same type measured (the normalised rates transfer; the absolute tok/s do not).
/// </summary>
public static class Calibrator
{
    public static string DefaultCachePath =>
        Environment.GetEnvironmentVariable("LLAMBDA_CALIBRATION") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llambda", "calibration.json");

    /// <summary>A description of this CPU that calibrations are keyed by.</summary>
    public static string Machine
    {
        get
        {
            string cpu = RuntimeInformation.ProcessArchitecture.ToString();
            try
            {
                string? name = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (name != null) cpu = name[(name.IndexOf(':') + 1)..].Trim();
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return $"{cpu} ({Environment.ProcessorCount} CPUs)";
        }
    }

    /// <summary>The weight type that dominates a model's bytes (what its speed depends on).</summary>
    public static GgmlType DominantType(GgufModelSummary summary) => summary.TensorTypes.MaxBy(t => t.Bytes)!.Type;

    public static Calibration? Load(string weightType, string? cachePath = null)
    {
        var all = ReadAll(cachePath ?? DefaultCachePath);
        return all.GetValueOrDefault($"{Machine}|{weightType}");
    }

    public static void Save(Calibration calibration, string? cachePath = null)
    {
        string path = cachePath ?? DefaultCachePath;
        var all = ReadAll(path);
        all[$"{calibration.Machine}|{calibration.WeightType}"] = calibration;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(all, s_json));
    }

    /// <summary>
    /// Loads <paramref name="modelPath"/> at each thread count from 1 to <paramref name="maxThreads"/>, prefills
    /// <paramref name="prefillTokens"/> tokens and decodes <paramref name="decodeTokens"/> more (best of two runs).
    /// </summary>
    public static Calibration Measure(string modelPath, int maxThreads = 0, int prefillTokens = 64, int decodeTokens = 16,
        Action<string>? log = null)
    {
        if (maxThreads <= 0) maxThreads = Environment.ProcessorCount;
        GgufModelSummary summary;
        using (var file = GgufFile.Open(modelPath)) summary = GgufModelSummary.FromFile(file);
        var points = new List<CalibrationPoint>();
        double loadRate = 0;
        for (int threads = 1; threads <= maxThreads; threads++)
        {
            using var model = LoadedModel.Load(modelPath, new ModelOptions { Threads = threads });
            if (threads == 1) loadRate = summary.FileBytes / Math.Max(model.LoadTime.TotalSeconds, 1e-3);
            var (prefill, decode) = (0.0, 0.0);
            for (int run = 0; run < 2; run++)
            {
                var (p, d) = Run(model, prefillTokens, decodeTokens);
                prefill = Math.Max(prefill, p);
                decode = Math.Max(decode, d);
            }
            points.Add(new CalibrationPoint(threads, prefill, decode, prefill * summary.ParameterCount, decode * summary.WeightBytes));
            log?.Invoke($"calibration: {threads} thread(s): prefill {prefill:F1} tok/s, decode {decode:F1} tok/s");
        }
        var (bw1, bwAll) = (MeasureBandwidth(1), MeasureBandwidth(maxThreads));
        log?.Invoke($"calibration: memory read bandwidth {bw1 / 1e9:F1} GB/s (1 thread), {bwAll / 1e9:F1} GB/s ({maxThreads} threads)");
        return new Calibration(Machine, DominantType(summary).ToString(), Path.GetFileName(modelPath), summary.WeightBytes,
            summary.ParameterCount, DateTime.UtcNow, bw1, bwAll, loadRate, points);
    }

    private static (double Prefill, double Decode) Run(LoadedModel model, int prefillTokens, int decodeTokens)
    {
        var config = model.Config;
        int ctx = Math.Min(config.ContextLength, prefillTokens + decodeTokens);
        prefillTokens = Math.Min(prefillTokens, ctx - decodeTokens);
        var cache = new KvCache(config, ctx);
        var buffers = new ForwardBuffers(config, InferenceSession.PrefillBatch);
        var logits = new float[model.Transformer.VocabSize];
        var rng = new Random(7);
        int[] prompt = Enumerable.Range(0, prefillTokens).Select(_ => rng.Next(model.Transformer.VocabSize)).ToArray();

        var clock = Stopwatch.StartNew();
        model.Transformer.Forward(prompt, 0, cache, buffers, logits);
        double prefill = prefillTokens / clock.Elapsed.TotalSeconds;

        clock.Restart();
        int token = prompt[^1];
        for (int i = 0; i < decodeTokens; i++)
        {
            model.Transformer.Forward([token], prefillTokens + i, cache, buffers, logits);
            token = (token + 1) % model.Transformer.VocabSize; // speed does not depend on which token
        }
        double decode = decodeTokens / clock.Elapsed.TotalSeconds;
        return (prefill, decode);
    }

    /// <summary>Sustained read bandwidth: sums a 256 MiB array (far larger than any cache) with each thread on its own slice.</summary>
    public static double MeasureBandwidth(int threads)
    {
        const int bytes = 256 << 20;
        var data = GC.AllocateUninitializedArray<float>(bytes / sizeof(float));
        data.AsSpan().Fill(1f);
        double best = 0;
        for (int run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            int slice = data.Length / threads;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var span = MemoryMarshal.Cast<float, Vector<float>>(data.AsSpan(t * slice, slice));
                var acc = Vector<float>.Zero;
                foreach (var v in span) acc += v;
                if (acc[0] == -1) Console.Write(""); // keep the loop alive
            });
            best = Math.Max(best, bytes / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    private static Dictionary<string, Calibration> ReadAll(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, Calibration>>(File.ReadAllText(path), s_json) ?? [];
        }
        catch (JsonException)
        {
            return []; // a stale or hand-edited cache is re-measured, not fatal
        }
    }
}
