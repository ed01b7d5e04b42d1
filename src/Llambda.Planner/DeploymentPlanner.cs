using Llambda.Gguf;

namespace Llambda.Planner;

/// <summary>What the user wants to plan for.</summary>
public sealed record PlanOptions
{
    public int ContextLength { get; init; } = 2048;
    public LambdaArchitecture Architecture { get; init; } = LambdaArchitecture.X86_64;

    /// <summary>The request that "cost per request" prices: prompt tokens in, output tokens out.</summary>
    public int PromptTokens { get; init; } = 256;
    public int OutputTokens { get; init; } = 256;

    /// <summary>Assumed S3 → /tmp download throughput for the cold start (parallel ranged GETs), MB/s.</summary>
    public double S3MegabytesPerSecond { get; init; } = 200;

    /// <summary>
    /// Lambda CPU speed relative to the calibration machine, per vCPU. 1.0 for x86 (both are recent server
    /// cores); arm64 (Graviton2) is assumed 0.8 until measured there.
    /// </summary>
    public double? CpuSpeedRatio { get; init; }

    /// <summary>
    /// Memory bandwidth one Lambda vCPU gets, bytes/s; by default the calibration machine's single-thread figure
    /// (Lambda shares a host's bandwidth; one vCPU rarely streams more than one core here does).
    /// </summary>
    public double? BandwidthPerVcpu { get; init; }
}

/// <summary>The memory a model needs to run, by part.</summary>
public sealed record MemoryNeed(long WeightBytes, long KvCacheBytes, long RuntimeBytes)
{
    public long TotalBytes => WeightBytes + KvCacheBytes + RuntimeBytes;
    public int TotalMb => (int)Math.Ceiling(TotalBytes / (1024.0 * 1024.0));
}

/// <summary>One Lambda memory size: does the model fit, how fast and how expensive it would be there.</summary>
public sealed record PlanRow(int MemoryMb, double Vcpus, int Threads, bool Fits, bool FitsNewAccount,
    double PrefillTokensPerSecond, double DecodeTokensPerSecond, double RequestSeconds, decimal CostPerRequest,
    decimal CostPerMillionOutputTokens);

public sealed record Recommendation(string Label, PlanRow Row, string Why);

/// <summary>A full plan for one model.</summary>
public sealed record DeploymentPlan(string Model, GgufModelSummary Summary, PlanOptions Options, MemoryNeed Memory,
    Calibration? Calibration, LambdaPricing Pricing, IReadOnlyList<PlanRow> Rows, IReadOnlyList<Recommendation> Recommendations,
    long FileBytes, bool FitsZip, bool FitsImage, int TmpMbNeeded, bool FitsTmp, TimeSpan ColdStartFromS3, TimeSpan ColdStartFromImage,
    IReadOnlyList<string> Notes)
{
    public bool FitsAnySize => Rows.Any(r => r.Fits);
    public int? MinimumMemoryMb => FitsAnySize ? Math.Max(LambdaLimits.MinMemoryMb, Memory.TotalMb) : null;
}

/// <summary>
/// Answers "will this model run on Lambda, how fast, for how much": memory need from the GGUF (weights + KV cache
/// + runtime), the fit at each memory size, and speed scaled from a local calibration:
/// <list type="bullet">
/// <item>prefill (compute-bound): calibrated parameter-tokens/s of one thread × vCPU share × parallel efficiency
/// × CPU ratio ÷ parameters;</item>
/// <item>decode (memory-bound): the smaller of the same compute scaling of one thread's weight-bytes/s and the
/// bandwidth the vCPU share gets, ÷ bytes read per token (weights + the KV cache at half the context).</item>
/// </list>
/// </summary>
public static class DeploymentPlanner
{
    /// <summary>.NET runtime, JIT'd code, tokenizer tables and the HTTP stack, measured as the RSS of a loaded tiny model.</summary>
    public const long RuntimeBaseBytes = 96L << 20;

    public static MemoryNeed Memory(GgufModelSummary summary, int contextLength)
    {
        long kv = summary.KvCacheBytes(contextLength); // f32 keys and values, as the engine keeps them
        int dim = summary.EmbeddingLength ?? 0, ffn = summary.FeedForwardLength ?? 0, vocab = summary.VocabSize ?? 0;
        // Scratch for a 64-token prefill batch (hidden, q/k/v, attention, ffn gate/up), the logits, per-thread attention rows.
        long scratch = 64L * (6L * dim + 2L * ffn) * sizeof(float) + 2L * vocab * sizeof(float) + 6L * contextLength * sizeof(float);
        return new MemoryNeed(summary.WeightBytes, kv, RuntimeBaseBytes + scratch);
    }

    public static DeploymentPlan Plan(string modelPath, GgufModelSummary summary, Calibration? calibration, PlanOptions? options = null,
        LambdaPricing? pricing = null)
    {
        options ??= new PlanOptions();
        pricing ??= LambdaPricing.Current;
        var memory = Memory(summary, options.ContextLength);
        var notes = new List<string>();
        double cpuRatio = options.CpuSpeedRatio ?? (options.Architecture == LambdaArchitecture.Arm64 ? 0.8 : 1.0);
        if (calibration == null) notes.Add("No calibration for this weight type on this machine: speed and cost are not predicted (run with --calibrate).");
        else if (calibration.WeightType != Calibrator.DominantType(summary).ToString())
            notes.Add($"Calibrated on {calibration.WeightType}, but this model is mostly {Calibrator.DominantType(summary)}: speeds are rough.");

        // Sizes to tabulate: where the core count changes, plus the smallest size that fits.
        var sizes = new SortedSet<int>(LambdaLimits.BreakpointSizes);
        if (memory.TotalMb is >= LambdaLimits.MinMemoryMb and <= LambdaLimits.MaxMemoryMb) sizes.Add(memory.TotalMb);
        else if (memory.TotalMb < LambdaLimits.MinMemoryMb) sizes.Add(LambdaLimits.MinMemoryMb);

        long bytesPerToken = summary.WeightBytes + memory.KvCacheBytes / 2; // on average the cache is half full
        var rows = new List<PlanRow>();
        foreach (int mb in sizes)
        {
            double vcpus = LambdaLimits.VcpuShare(mb);
            bool fits = memory.TotalMb <= mb;
            double prefill = 0, decode = 0;
            if (calibration != null)
            {
                var (effPrefill, effDecode) = calibration.ParallelEfficiency;
                double Scale(double eff) => vcpus <= 1 ? vcpus : 1 + (vcpus - 1) * eff; // first vCPU full, the rest at the measured efficiency
                var one = calibration.OneThread;
                prefill = one.PrefillParamTokensPerSecond * Scale(effPrefill) * cpuRatio / Math.Max(1, summary.ParameterCount);
                double computeBound = one.DecodeBytesPerSecond * Scale(effDecode) * cpuRatio;
                double bandwidth = (options.BandwidthPerVcpu ?? calibration.BandwidthBytesPerSecondOneThread) * vcpus;
                decode = Math.Min(computeBound, bandwidth) / Math.Max(1, bytesPerToken);
            }
            double seconds = decode > 0 ? options.PromptTokens / prefill + options.OutputTokens / decode : 0;
            decimal perRequest = decode > 0 ? pricing.Invocation(options.Architecture, mb, seconds) : 0;
            decimal perMillion = decode > 0
                ? mb / 1024m * (decimal)(1_000_000 / decode) * pricing.PerGbSecond(options.Architecture)
                  + pricing.PerMillionRequests * (1_000_000m / options.OutputTokens) / 1_000_000m
                : 0;
            rows.Add(new PlanRow(mb, vcpus, LambdaLimits.VisibleCores(mb), fits, fits && mb <= LambdaLimits.NewAccountMemoryMb,
                prefill, decode, seconds, perRequest, perMillion));
        }

        long runtimePackage = 80L << 20; // self-contained llambda (ReadyToRun) in a zip or image layer
        bool fitsZip = summary.FileBytes + runtimePackage <= LambdaLimits.ZipPackageBytes;
        bool fitsImage = summary.FileBytes + runtimePackage <= LambdaLimits.ImageBytes;
        int tmpMb = (int)Math.Ceiling(summary.FileBytes / (1024.0 * 1024.0)) + 16;
        bool fitsTmp = tmpMb <= LambdaLimits.MaxTmpMb;
        if (tmpMb > LambdaLimits.DefaultTmpMb && fitsTmp) notes.Add($"Downloading to /tmp needs ephemeral storage of at least {tmpMb} MB (default 512 MB).");
        if (!fitsZip) notes.Add("Too large for a zip package (250 MB unzipped): ship it in a container image or fetch it from S3 at start.");

        double loadRate = calibration?.LoadBytesPerSecond is > 0 and var r ? Math.Min(r, 1.5e9) : 1e9; // mmap + first touch of the pages
        var load = TimeSpan.FromSeconds(0.35 + summary.FileBytes / loadRate); // runtime start + model load
        var fromS3 = load + TimeSpan.FromSeconds(summary.FileBytes / (options.S3MegabytesPerSecond * 1e6));
        var fromImage = load + TimeSpan.FromSeconds(summary.FileBytes / 45e6); // image layers page in lazily at ~45 MB/s (3.6 GB in 83 s, reported)
        if (fromS3 > LambdaLimits.InitTimeout) notes.Add($"A cold start from S3 takes ~{fromS3.TotalSeconds:F0} s, past the 10 s init limit: load lazily on the first request (llambda does) and keep the function warm.");

        var fitting = rows.Where(r => r.Fits && r.DecodeTokensPerSecond > 0).ToList();
        var recommendations = new List<Recommendation>();
        if (fitting.Count > 0)
        {
            var cheapest = fitting.MinBy(r => r.CostPerMillionOutputTokens)!;
            var fastest = fitting.MaxBy(r => r.DecodeTokensPerSecond)!;
            var balanced = fitting.Where(r => r.DecodeTokensPerSecond >= 0.8 * fastest.DecodeTokensPerSecond).MinBy(r => r.MemoryMb)!;
            recommendations.Add(new("cheapest", cheapest, "lowest cost per 1 M output tokens"));
            recommendations.Add(new("fastest", fastest, "highest decode speed"));
            recommendations.Add(new("balanced", balanced, "smallest size within 80% of the fastest decode"));
        }
        return new DeploymentPlan(Path.GetFileName(modelPath), summary, options, memory, calibration, pricing, rows, recommendations,
            summary.FileBytes, fitsZip, fitsImage, tmpMb, fitsTmp, fromS3, fromImage, notes);
    }
}
