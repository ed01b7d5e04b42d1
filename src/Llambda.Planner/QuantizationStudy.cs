using System.Diagnostics;
using System.Globalization;
using System.Text;
using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Models;
using Llambda.Tensors;

namespace Llambda.Planner;

public sealed record StudyOptions
{
    /// <summary>Recipes to try; empty = every quantized recipe.</summary>
    public IReadOnlyList<QuantizationRecipe> Recipes { get; init; } = [];
    public int ContextLength { get; init; } = 128;
    public int MaxChunks { get; init; }
    public int Threads { get; init; }
    public int PrefillTokens { get; init; } = 64;
    public int DecodeTokens { get; init; } = 16;

    /// <summary>Where the quantized files go (deleted afterwards unless <see cref="KeepFiles"/>).</summary>
    public string? WorkDirectory { get; init; }
    public bool KeepFiles { get; init; }
}

/// <summary>One row of the study: a quantization of the model and what it costs and loses.</summary>
public sealed record StudyRow(string Type, long FileBytes, double BitsPerWeight, long MemoryBytes, TimeSpan LoadTime,
    double PrefillTokensPerSecond, double DecodeTokensPerSecond, double Perplexity, double PerplexityUncertainty)
{
    public double PerplexityChange(StudyRow baseline) => Perplexity / baseline.Perplexity - 1;
}

public sealed record StudyResult(string Model, string TextName, int TextTokens, int ContextLength, int Chunks, int Threads,
    IReadOnlyList<StudyRow> Rows, IReadOnlyList<string> Skipped);

/// <summary>
/// The quantization study: quantizes an F32/F16/BF16 model to each type and measures, for each, the file size,
/// memory, load time, prefill/decode speed and perplexity on a text, so the accuracy lost is a number next to the
/// bytes and seconds saved.
/// </summary>
public static class QuantizationStudy
{
    public static StudyResult Run(string modelPath, string text, string textName, StudyOptions? options = null, Action<string>? log = null)
    {
        options ??= new StudyOptions();
        using (var source = GgufFile.Open(modelPath))
        {
            var dominant = Calibrator.DominantType(GgufModelSummary.FromFile(source));
            if (dominant is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
                throw new ArgumentException($"The study starts from an unquantized model (F32, F16 or BF16); {Path.GetFileName(modelPath)} is mostly {dominant}.");
        }
        var recipes = options.Recipes.Count > 0 ? options.Recipes : QuantizationRecipe.All.Where(r => r.IsQuantized).ToList();
        string work = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "llambda-study-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);

        var rows = new List<StudyRow>();
        var skipped = new List<string>();
        int tokens = 0, chunks = 0, threads = 0;
        try
        {
            rows.Add(Measure("source (" + SourceType(modelPath) + ")", modelPath, text, options, ref tokens, ref chunks, ref threads));
            log?.Invoke(Describe(rows[^1]));
            foreach (var recipe in recipes)
            {
                string output = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(modelPath)}-{recipe.Name}.gguf");
                try
                {
                    ModelQuantizer.Quantize(modelPath, output, recipe, new ModelQuantizerOptions { Threads = options.Threads });
                }
                catch (NotSupportedException e)
                {
                    // llama.cpp refuses the same tensors (e.g. rows of 172 values cannot be 32-value blocks): report, go on.
                    skipped.Add($"{recipe.Name}: {e.Message}");
                    log?.Invoke($"study: {recipe.Name} skipped: {e.Message}");
                    continue;
                }
                rows.Add(Measure(recipe.Name, output, text, options, ref tokens, ref chunks, ref threads));
                log?.Invoke(Describe(rows[^1]));
                if (!options.KeepFiles) File.Delete(output);
            }
        }
        finally
        {
            if (!options.KeepFiles && options.WorkDirectory == null) Directory.Delete(work, recursive: true);
        }
        return new StudyResult(Path.GetFileName(modelPath), textName, tokens, options.ContextLength, chunks, threads, rows, skipped);
    }

    private static string SourceType(string path)
    {
        using var f = GgufFile.Open(path);
        return Calibrator.DominantType(GgufModelSummary.FromFile(f)).ToString();
    }

    private static string Describe(StudyRow r) => string.Format(CultureInfo.InvariantCulture,
        "study: {0}: {1:F2} bpw, {2:N1} MB, ppl {3:F4}, prefill {4:F1} tok/s, decode {5:F1} tok/s", r.Type, r.BitsPerWeight,
        r.FileBytes / 1048576.0, r.Perplexity, r.PrefillTokensPerSecond, r.DecodeTokensPerSecond);

    private static StudyRow Measure(string type, string path, string text, StudyOptions options, ref int tokens, ref int chunks, ref int threads)
    {
        GC.Collect();
        long rssBefore = ResidentBytes();
        using var model = LoadedModel.Load(path, new ModelOptions { Threads = options.Threads });
        threads = model.Pool.Threads;
        var ppl = Perplexity.Compute(model, text, new PerplexityOptions { ContextLength = options.ContextLength, MaxChunks = options.MaxChunks });
        tokens = ppl.TextTokens;
        chunks = ppl.Chunks;
        var (prefill, decode) = Speed(model, options.PrefillTokens, options.DecodeTokens);
        long memory = Math.Max(0, ResidentBytes() - rssBefore);
        var summary = GgufModelSummary.FromFile(model.File);
        double bpw = summary.WeightBytes * 8.0 / summary.ParameterCount;
        return new StudyRow(type, new FileInfo(path).Length, bpw, memory, model.LoadTime, prefill, decode, ppl.Value, ppl.Uncertainty);
    }

    private static (double Prefill, double Decode) Speed(LoadedModel model, int prefillTokens, int decodeTokens)
    {
        var config = model.Config;
        int ctx = Math.Min(config.ContextLength, prefillTokens + decodeTokens);
        prefillTokens = Math.Min(prefillTokens, ctx - decodeTokens);
        var cache = new KvCache(config, ctx);
        var buffers = new ForwardBuffers(config, InferenceSession.PrefillBatch);
        var logits = new float[model.Transformer.VocabSize];
        int[] prompt = Enumerable.Range(0, prefillTokens).Select(i => (i * 7919 + 13) % model.Transformer.VocabSize).ToArray();
        double bestPrefill = 0, bestDecode = 0;
        for (int run = 0; run < 2; run++)
        {
            var clock = Stopwatch.StartNew();
            model.Transformer.Forward(prompt, 0, cache, buffers, logits);
            bestPrefill = Math.Max(bestPrefill, prefillTokens / clock.Elapsed.TotalSeconds);
            clock.Restart();
            for (int i = 0; i < decodeTokens; i++) model.Transformer.Forward([prompt[i % prefillTokens]], prefillTokens + i, cache, buffers, logits);
            bestDecode = Math.Max(bestDecode, decodeTokens / clock.Elapsed.TotalSeconds);
        }
        return (bestPrefill, bestDecode);
    }

    /// <summary>Resident set size from /proc (mapped weight pages count once touched); the working set elsewhere.</summary>
    private static long ResidentBytes()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (line != null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    // ---- reports ----

    public static string ToMarkdown(StudyResult study, string? svgFileName = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var baseline = study.Rows[0];
        sb.AppendLine(inv, $"# Quantization study: {study.Model}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Perplexity on `{study.TextName}` ({study.TextTokens} tokens, {study.Chunks} chunks of {study.ContextLength}, llama.cpp's method: second half of each chunk scored); speed on {study.Threads} threads of {Calibrator.Machine}.");
        sb.AppendLine();
        sb.AppendLine("| type | file MB | bits/weight | memory MB | load ms | prefill tok/s | decode tok/s | perplexity | vs source |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in study.Rows)
        {
            sb.AppendLine(inv, $"| {r.Type} | {r.FileBytes / 1048576.0:N1} | {r.BitsPerWeight:F2} | {r.MemoryBytes / 1048576.0:N0} | {r.LoadTime.TotalMilliseconds:F0} | " +
                $"{r.PrefillTokensPerSecond:F1} | {r.DecodeTokensPerSecond:F1} | {r.Perplexity:F4} ± {r.PerplexityUncertainty:F4} | {(r == baseline ? "–" : r.PerplexityChange(baseline).ToString("+0.00%;-0.00%", inv))} |");
        }
        sb.AppendLine();
        foreach (string s in study.Skipped) sb.AppendLine(inv, $"Not produced: {s}").AppendLine();
        if (svgFileName != null) sb.AppendLine(inv, $"![size vs perplexity vs speed]({svgFileName})");
        return sb.ToString();
    }

    /// <summary>
    /// An SVG scatter chart: file size (x) against perplexity (y), one circle per type with its area proportional
    /// to decode speed. Built by hand: no charting library, renders anywhere SVG does.
    /// </summary>
    public static string ToSvg(StudyResult study)
    {
        var inv = CultureInfo.InvariantCulture;
        const double width = 720, height = 440, left = 80, right = 30, top = 50, bottom = 60;
        var rows = study.Rows;
        double xMin = rows.Min(r => r.FileBytes / 1048576.0), xMax = rows.Max(r => r.FileBytes / 1048576.0);
        double yMin = rows.Min(r => r.Perplexity), yMax = rows.Max(r => r.Perplexity);
        double xPad = Math.Max((xMax - xMin) * 0.08, 1e-3), yPad = Math.Max((yMax - yMin) * 0.12, yMax * 1e-3);
        (xMin, xMax, yMin, yMax) = (xMin - xPad, xMax + xPad, yMin - yPad, yMax + yPad);
        double X(double mb) => left + (mb - xMin) / (xMax - xMin) * (width - left - right);
        double Y(double p) => height - bottom - (p - yMin) / (yMax - yMin) * (height - top - bottom);
        double maxSpeed = rows.Max(r => r.DecodeTokensPerSecond);

        var sb = new StringBuilder();
        sb.AppendLine(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        sb.AppendLine(inv, $"<text x=\"{width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Escape(study.Model)}: size vs perplexity (circle area = decode tok/s)</text>");
        sb.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        sb.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        for (int i = 0; i <= 5; i++)
        {
            double mb = xMin + (xMax - xMin) * i / 5, p = yMin + (yMax - yMin) * i / 5;
            sb.AppendLine(inv, $"<line x1=\"{X(mb):F1}\" y1=\"{height - bottom}\" x2=\"{X(mb):F1}\" y2=\"{height - bottom + 5}\" stroke=\"black\"/><text x=\"{X(mb):F1}\" y=\"{height - bottom + 18}\" text-anchor=\"middle\">{mb:G4}</text>");
            sb.AppendLine(inv, $"<line x1=\"{left - 5}\" y1=\"{Y(p):F1}\" x2=\"{left}\" y2=\"{Y(p):F1}\" stroke=\"black\"/><text x=\"{left - 8}\" y=\"{Y(p) + 4:F1}\" text-anchor=\"end\">{p:G5}</text>");
            sb.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{Y(p):F1}\" x2=\"{width - right}\" y2=\"{Y(p):F1}\" stroke=\"#eee\"/>");
        }
        sb.AppendLine(inv, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 15}\" text-anchor=\"middle\">file size (MB)</text>");
        sb.AppendLine(inv, $"<text x=\"18\" y=\"{(top + height - bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {(top + height - bottom) / 2})\">perplexity (lower is better)</text>");
        foreach (var r in rows)
        {
            double radius = 4 + 14 * Math.Sqrt(r.DecodeTokensPerSecond / Math.Max(maxSpeed, 1e-9));
            double cx = X(r.FileBytes / 1048576.0), cy = Y(r.Perplexity);
            sb.AppendLine(inv, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"{radius:F1}\" fill=\"#3b82f6\" fill-opacity=\"0.45\" stroke=\"#1e40af\"><title>{Escape(r.Type)}: {r.FileBytes / 1048576.0:F1} MB, ppl {r.Perplexity:F4}, {r.DecodeTokensPerSecond:F1} tok/s</title></circle>");
            sb.AppendLine(inv, $"<text x=\"{cx + radius + 3:F1}\" y=\"{cy + 4:F1}\">{Escape(r.Type)}</text>");
        }
        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
