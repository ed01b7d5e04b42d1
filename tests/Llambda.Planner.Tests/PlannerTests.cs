using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Planner.Tests;

public class PlannerTests
{
    private static GgufModelSummary Summary(string file)
    {
        using var f = GgufFile.Open(SharedData.Model(file));
        return GgufModelSummary.FromFile(f);
    }

    /// <summary>A calibration with round numbers, so expected speeds can be worked out by hand.</summary>
    private static Calibration FakeCalibration(string type) => new("test machine", type, "fake.gguf", 1_000_000, 1_000_000,
        DateTime.UnixEpoch, BandwidthBytesPerSecondOneThread: 10e9, BandwidthBytesPerSecondAllThreads: 20e9, LoadBytesPerSecond: 1e9,
        Points: [new CalibrationPoint(1, 100, 10, 100e9, 4e9), new CalibrationPoint(2, 200, 20, 200e9, 8e9)]);

    [Fact]
    public void Vcpu_share_follows_memory()
    {
        Assert.Equal(1.0, LambdaLimits.VcpuShare(1769), 6);
        Assert.Equal(10240 / 1769.0, LambdaLimits.VcpuShare(10240), 6); // ≈ 5.8: 6 vCPUs only at 10,614 MB
        Assert.Equal(2, LambdaLimits.VisibleCores(128));
        Assert.Equal(2, LambdaLimits.VisibleCores(3008));
        Assert.Equal(3, LambdaLimits.VisibleCores(3539));
        Assert.Equal(6, LambdaLimits.VisibleCores(10240));
    }

    [Fact]
    public void Memory_counts_weights_kv_cache_and_runtime()
    {
        var s = Summary("stories260K.gguf");
        var m = DeploymentPlanner.Memory(s, 512);
        Assert.Equal(s.WeightBytes, m.WeightBytes);
        Assert.Equal(5L * 512 * (4 * 8 * 2) * 4, m.KvCacheBytes); // 5 layers × 512 tokens × (4 KV heads × 8 dims × K,V) × f32
        Assert.True(m.RuntimeBytes >= DeploymentPlanner.RuntimeBaseBytes);
    }

    [Fact]
    public void A_small_model_fits_from_the_smallest_size_and_speeds_grow_with_memory()
    {
        var s = Summary("stories260K.gguf");
        var plan = DeploymentPlanner.Plan("stories260K.gguf", s, FakeCalibration("F32"), new PlanOptions { ContextLength = 512 });
        Assert.True(plan.FitsAnySize);
        Assert.True(plan.FitsZip);
        Assert.Equal(LambdaLimits.MinMemoryMb, plan.MinimumMemoryMb);
        var rows = plan.Rows.Where(r => r.Fits).ToList();
        for (int i = 1; i < rows.Count; i++) Assert.True(rows[i].DecodeTokensPerSecond >= rows[i - 1].DecodeTokensPerSecond);
        Assert.Equal(["cheapest", "fastest", "balanced"], plan.Recommendations.Select(r => r.Label));
        Assert.Equal(10240, plan.Recommendations[1].Row.MemoryMb);
    }

    [Fact]
    public void Cost_is_duration_times_memory_times_price_plus_the_request()
    {
        var p = LambdaPricing.Current;
        decimal cost = p.Invocation(LambdaArchitecture.X86_64, 1024, 1.0);
        Assert.Equal(0.0000166667m + 0.0000002m, cost);
        Assert.True(p.Invocation(LambdaArchitecture.Arm64, 1024, 1.0) < cost);
    }

    [Fact]
    public void A_model_that_fits_no_size_says_so_with_the_numbers()
    {
        // A 70B-shaped model at F16: 140 GB of weights.
        var s = new GgufModelSummary
        {
            Path = "huge.gguf", GgufVersion = 3, FileBytes = 140_000_000_000, Architecture = "llama", ParameterCount = 70_000_000_000,
            TensorCount = 723, TensorTypes = [new TensorTypeShare(GgmlType.F16, 723, 140_000_000_000)], ContextLength = 4096,
            EmbeddingLength = 8192, LayerCount = 80, HeadCount = 64, KvHeadCount = 8, FeedForwardLength = 28672, VocabSize = 32000,
            HasChatTemplate = false,
        };
        var plan = DeploymentPlanner.Plan("huge.gguf", s, null, new PlanOptions { ContextLength = 4096 });
        Assert.False(plan.FitsAnySize);
        Assert.Null(plan.MinimumMemoryMb);
        string verdict = PlanReport.DoesNotFit(plan)!;
        Assert.Contains("Does not fit", verdict);
        Assert.Contains("10,240 MB", verdict);
        Assert.Contains("133,514 MB", verdict); // the weights, in MB
        Assert.Contains(verdict, PlanReport.ToMarkdown(plan));
        Assert.False(plan.FitsZip);
        Assert.False(plan.FitsImage);
    }

    [Fact]
    public void Calibration_round_trips_through_its_cache_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"llambda-cal-{Guid.NewGuid():N}.json");
        try
        {
            var c = FakeCalibration("Q4_0") with { Machine = Calibrator.Machine };
            Calibrator.Save(c, path);
            var back = Calibrator.Load("Q4_0", path);
            Assert.NotNull(back);
            Assert.Equal(c.Points, back!.Points);
            Assert.Null(Calibrator.Load("Q8_0", path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Measured_calibration_on_a_real_model_is_positive()
    {
        var c = Calibrator.Measure(SharedData.Model("stories260K.gguf"), maxThreads: 2, prefillTokens: 16, decodeTokens: 4);
        Assert.Equal(2, c.Points.Count);
        Assert.All(c.Points, p => Assert.True(p.PrefillTokensPerSecond > 0 && p.DecodeTokensPerSecond > 0));
        Assert.True(c.BandwidthBytesPerSecondOneThread > 1e8);
    }
}
