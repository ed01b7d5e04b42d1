using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llambda.Inference;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda bench</c>: llama-bench's pp/tg tests on our engine, with load time, peak RSS and decode's share of the
/// machine's memory bandwidth. Figures are printed, never asserted.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens for the prefill test (0: skip).", DefaultValueFactory = _ => 512 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Tokens for the decode test (0: skip).", DefaultValueFactory = _ => 128 };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Repetitions of each test (the median is reported).", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var tokenizer = new Option<bool>("--tokenizer") { Description = "Instead: encode 1 MB of mixed text with the model's tokenizer (median of the repetitions)." };
        var command = new Command("bench", "Measure prefill and decode speed, load time, peak memory and bandwidth use.");
        model.AddTo(command);
        command.Add(prompt);
        command.Add(generate);
        command.Add(repetitions);
        command.Add(json);
        command.Add(tokenizer);
        command.SetAction(parse =>
        {
            if (parse.GetValue(tokenizer)) return BenchTokenizer(model, parse, Math.Max(1, parse.GetValue(repetitions)));
            var options = new BenchmarkOptions
            {
                PromptTokens = parse.GetValue(prompt),
                GeneratedTokens = parse.GetValue(generate),
                Repetitions = parse.GetValue(repetitions),
            };
            if (options.PromptTokens < 0 || options.GeneratedTokens < 0 || options.Repetitions < 1)
                throw new ArgumentException("--n-prompt and --n-gen must be >= 0 and --repetitions >= 1.");
            using var loaded = model.Load(parse);
            bool asJson = parse.GetValue(json);
            var report = InferenceBenchmark.Run(loaded, options, asJson ? null : line => Console.Error.WriteLine(line));
            if (asJson) WriteJson(report);
            else WriteTable(report);
            return 0;
        });
        return command;
    }

    /// <summary>Tokenizer throughput on 1 MB of mixed text (prose, code, numbers, CJK, emoji), median of the runs.</summary>
    private static int BenchTokenizer(ModelOptionsBinder model, ParseResult parse, int repetitions)
    {
        string path = ModelOptionsBinder.Resolve(parse.GetValue(model.Model));
        var t = Llambda.Tokenizers.Tokenizer.FromGguf(path);
        Llambda.Tokenizers.TokenizerBenchmark.Run(t, 0.1); // warm-up
        var runs = Enumerable.Range(0, repetitions).Select(_ => Llambda.Tokenizers.TokenizerBenchmark.Run(t, 1.0)).ToList();
        var rate = Rate.Of(runs.Select(r => r.TokensPerSecond).ToList());
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "tokenizer of {0}: 1 MB mixed text -> {1} tokens; encode {2:F0} ± {3:F0} tokens/s ({4:F2} MB/s); decode {5:F0} ms",
            Path.GetFileName(path), runs[0].Tokens, rate.Median, rate.StandardDeviation, runs[0].Bytes / 1e6 * rate.Median / runs[0].Tokens, runs.Min(r => r.DecodeTime.TotalMilliseconds)));
        return 0;
    }

    private static void WriteTable(BenchmarkReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        string size = InspectCommand.Bytes(r.FileBytes);
        string parameters = (r.ParameterCount / 1e6).ToString("0.##", inv) + " M";
        Console.WriteLine("| model | size | params | threads | test | t/s |");
        Console.WriteLine("|---|---|---|---|---|---|");
        if (r.Options.PromptTokens > 0)
            Console.WriteLine(string.Format(inv, "| {0} | {1} | {2} | {3} | pp{4} | {5:F2} ± {6:F2} |", r.Model, size, parameters, r.Threads, r.Options.PromptTokens, r.PrefillTokensPerSecond.Median, r.PrefillTokensPerSecond.StandardDeviation));
        if (r.Options.GeneratedTokens > 0)
            Console.WriteLine(string.Format(inv, "| {0} | {1} | {2} | {3} | tg{4} | {5:F2} ± {6:F2} |", r.Model, size, parameters, r.Threads, r.Options.GeneratedTokens, r.DecodeTokensPerSecond.Median, r.DecodeTokensPerSecond.StandardDeviation));
        Console.WriteLine();
        Console.WriteLine(string.Format(inv, "load {0:F0} ms | peak RSS {1} | weights read per token {2} | kernels {3}", r.LoadMilliseconds, InspectCommand.Bytes(r.PeakRssBytes), InspectCommand.Bytes(r.BytesPerToken), Llambda.Tensors.KernelOptions.Describe()));
        if (r.MachineBandwidth > 0)
            Console.WriteLine(string.Format(inv, "memory bandwidth {0:F1} GB/s | decode reads {1:F1} GB/s = {2:P0} of it", r.MachineBandwidth / 1e9, r.DecodeBandwidth / 1e9, r.BandwidthFraction));
    }

    private static void WriteJson(BenchmarkReport r)
    {
        using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", r.Model);
        w.WriteNumber("file_bytes", r.FileBytes);
        w.WriteNumber("parameters", r.ParameterCount);
        w.WriteNumber("threads", r.Threads);
        w.WriteString("kernels", Llambda.Tensors.KernelOptions.Describe());
        w.WriteNumber("n_prompt", r.Options.PromptTokens);
        w.WriteNumber("n_gen", r.Options.GeneratedTokens);
        w.WriteNumber("repetitions", r.Options.Repetitions);
        w.WriteNumber("prefill_tok_s", r.PrefillTokensPerSecond.Median);
        w.WriteNumber("prefill_tok_s_stddev", r.PrefillTokensPerSecond.StandardDeviation);
        w.WriteNumber("decode_tok_s", r.DecodeTokensPerSecond.Median);
        w.WriteNumber("decode_tok_s_stddev", r.DecodeTokensPerSecond.StandardDeviation);
        w.WriteNumber("load_ms", r.LoadMilliseconds);
        w.WriteNumber("peak_rss_bytes", r.PeakRssBytes);
        w.WriteNumber("bytes_per_token", r.BytesPerToken);
        w.WriteNumber("machine_bandwidth_bytes_s", r.MachineBandwidth);
        w.WriteNumber("bandwidth_fraction", r.BandwidthFraction);
        w.WriteEndObject();
        w.Flush();
        Console.WriteLine();
    }
}
