using System.Globalization;
using System.Text;

namespace Llambda.Planner;

/// <summary>Renders a <see cref="DeploymentPlan"/> as Markdown (readable in a terminal and in docs).</summary>
public static class PlanReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("N0", Inv) + " MB";

    /// <summary>The one-line verdict for a model that fits no size (null when it fits one).</summary>
    public static string? DoesNotFit(DeploymentPlan plan)
    {
        if (plan.FitsAnySize) return null;
        var m = plan.Memory;
        return string.Format(Inv,
            "Does not fit AWS Lambda: needs {0} (weights {1} + KV cache at {2} tokens {3} + runtime {4}), but the largest Lambda size is {5:N0} MB.",
            Mb(m.TotalBytes), Mb(m.WeightBytes), plan.Options.ContextLength, Mb(m.KvCacheBytes), Mb(m.RuntimeBytes), LambdaLimits.MaxMemoryMb);
    }

    public static string ToMarkdown(DeploymentPlan plan)
    {
        var s = plan.Summary;
        var o = plan.Options;
        var m = plan.Memory;
        var sb = new StringBuilder();
        string arch = o.Architecture == LambdaArchitecture.Arm64 ? "arm64" : "x86_64";
        sb.AppendLine(Inv, $"# Lambda plan: {plan.Model}");
        sb.AppendLine();
        sb.AppendLine(Inv, $"{s.Architecture}, {s.ParameterCount / 1e9:F2} B parameters, {s.LayerCount} layers, {s.HeadCount} heads / {s.KvHeadCount} KV heads, " +
            $"mostly {Calibrator.DominantType(s)}, file {Mb(plan.FileBytes)}. Target: {arch}, context {o.ContextLength} tokens, " +
            $"request = {o.PromptTokens} prompt + {o.OutputTokens} output tokens. Prices as of {plan.Pricing.AsOf:yyyy-MM-dd}.");
        sb.AppendLine();
        sb.AppendLine("## Memory");
        sb.AppendLine();
        sb.AppendLine("| part | size |");
        sb.AppendLine("|---|---:|");
        sb.AppendLine(Inv, $"| weights (memory-mapped; page cache counts against the function's memory) | {Mb(m.WeightBytes)} |");
        sb.AppendLine(Inv, $"| KV cache, f32, {o.ContextLength} tokens | {Mb(m.KvCacheBytes)} |");
        sb.AppendLine(Inv, $"| runtime (.NET, scratch buffers, logits) | {Mb(m.RuntimeBytes)} |");
        sb.AppendLine(Inv, $"| **total** | **{Mb(m.TotalBytes)}** |");
        sb.AppendLine();
        if (DoesNotFit(plan) is string verdict)
        {
            sb.AppendLine(Inv, $"**{verdict}** Try a smaller quantization (`llambda quantize`), a shorter context (`--ctx`), or a smaller model.");
            sb.AppendLine();
        }
        else
        {
            sb.AppendLine(($"Smallest memory size that fits: **{plan.MinimumMemoryMb:N0} MB**" +
                (plan.MinimumMemoryMb <= LambdaLimits.NewAccountMemoryMb ? " (within the 3,008 MB cap of new accounts)." : " (above the 3,008 MB cap of new accounts: ask AWS for a quota increase).")));
            sb.AppendLine();
        }

        sb.AppendLine("## Packaging and cold start");
        sb.AppendLine();
        sb.AppendLine(Inv, $"- zip package (250 MB unzipped): {(plan.FitsZip ? "fits" : "does not fit")}; container image (10 GB): {(plan.FitsImage ? "fits" : "does not fit")}.");
        sb.AppendLine(Inv, $"- download to /tmp: needs {plan.TmpMbNeeded:N0} MB of ephemeral storage ({(plan.FitsTmp ? "configurable up to 10,240 MB" : "more than the 10,240 MB maximum")}).");
        sb.AppendLine(Inv, $"- cold start estimate: {plan.ColdStartFromS3.TotalSeconds:F1} s from S3 at {o.S3MegabytesPerSecond:F0} MB/s, {plan.ColdStartFromImage.TotalSeconds:F1} s from a container image (lazy layer loading at ~45 MB/s), both including the runtime start and the model load.");
        sb.AppendLine();

        sb.AppendLine("## Memory sizes");
        sb.AppendLine();
        sb.AppendLine("| memory MB | vCPU share | cores seen | fits | new account | prefill tok/s | decode tok/s | request s | $ / request | $ / 1M output tokens |");
        sb.AppendLine("|---:|---:|---:|:---:|:---:|---:|---:|---:|---:|---:|");
        foreach (var r in plan.Rows)
        {
            bool speed = r.DecodeTokensPerSecond > 0;
            sb.AppendLine(($"| {r.MemoryMb:N0} | {r.Vcpus:F2} | {r.Threads} | {(r.Fits ? "yes" : "no")} | {(r.FitsNewAccount ? "yes" : "no")} | " +
                (r.Fits && speed ? $"{r.PrefillTokensPerSecond:F1} | {r.DecodeTokensPerSecond:F2} | {r.RequestSeconds:F1} | {r.CostPerRequest:F6} | {r.CostPerMillionOutputTokens:F2} |" : "– | – | – | – | – |")));
        }
        sb.AppendLine();

        if (plan.Recommendations.Count > 0)
        {
            sb.AppendLine("## Recommendation");
            sb.AppendLine();
            foreach (var rec in plan.Recommendations)
                sb.AppendLine(Inv, $"- **{rec.Label}**: {rec.Row.MemoryMb:N0} MB ({rec.Why}): {rec.Row.DecodeTokensPerSecond:F2} tok/s decode, ${rec.Row.CostPerMillionOutputTokens:F2} per 1 M output tokens, ${rec.Row.CostPerRequest:F6} per request.");
            sb.AppendLine();
        }

        sb.AppendLine("## How these numbers are made");
        sb.AppendLine();
        if (plan.Calibration is { } c)
        {
            var (ep, ed) = c.ParallelEfficiency;
            sb.AppendLine(($"- Calibrated on `{c.Model}` ({c.WeightType}) on {c.Machine}, {c.MeasuredUtc:yyyy-MM-dd}: " +
                string.Join("; ", c.Points.Select(p => $"{p.Threads} thread(s) prefill {p.PrefillTokensPerSecond:F1} / decode {p.DecodeTokensPerSecond:F1} tok/s")) +
                $"; memory bandwidth {c.BandwidthBytesPerSecondOneThread / 1e9:F1} GB/s on one thread. Parallel efficiency: prefill {ep:P0}, decode {ed:P0}."));
        }
        sb.AppendLine("- Prefill scales with the vCPU share (compute-bound); decode is the lower of that compute scaling and the bandwidth the vCPU share gets (memory-bound: every token reads all weights and the KV cache).");
        sb.AppendLine("- Cost = duration × memory (GB) × price per GB-s + the request charge; per 1 M output tokens assumes streaming at the decode speed.");
        foreach (string note in plan.Notes) sb.AppendLine(Inv, $"- {note}");
        return sb.ToString();
    }
}
