using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Cli.Tests;

/// <summary><c>llambda quantize</c>, <c>perplexity</c> and <c>plan</c> run as a user runs them.</summary>
public class QuantizeAndPlanCommandTests
{
    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    public void Quantize_writes_the_same_file_as_llama_cpp(string type)
    {
        string output = Path.Combine(Path.GetTempPath(), $"llambda-cli-q-{Guid.NewGuid():N}.gguf");
        try
        {
            var r = CliRunner.Run(["quantize", SharedData.Model("synth-llama-spm512-F32.gguf"), output, type], stdin: null, TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("blk.1.ffn_down.weight", r.Stderr); // one line per tensor
            Assert.Equal(File.ReadAllBytes(SharedData.Model($"synth-llama-spm512-{type}.gguf")), File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Unknown_types_are_refused_listing_the_valid_ones()
    {
        var r = CliRunner.Run("quantize", SharedData.Model("synth-llama-spm512-F32.gguf"), Path.Combine(Path.GetTempPath(), "never.gguf"), "Q7_Z");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Unknown quantization type 'Q7_Z'", r.Stderr);
        Assert.Contains("Q4_K_M", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Requantizing_is_refused_without_the_flag()
    {
        string output = Path.Combine(Path.GetTempPath(), $"llambda-cli-rq-{Guid.NewGuid():N}.gguf");
        var r = CliRunner.Run("quantize", SharedData.Model("tinyllama-v0-Q4_0.gguf"), output, "Q8_0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--allow-requantize", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Perplexity_matches_llama_cpp_within_one_percent()
    {
        string text = StoriesText();
        var r = CliRunner.Run(["perplexity", "-m", SharedData.Model("stories260K.gguf"), "-f", text, "--ctx", "128", "--json"], stdin: null, TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.Stderr);
        double ppl = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("ppl").GetDouble();
        const double llamaCpp = 4.391732643012226; // tests/Llambda.Planner.Tests/reference/perplexity.json
        Assert.InRange(ppl / llamaCpp, 0.99, 1.01);
    }

    [Fact]
    public void Plan_reports_the_fit_table_and_a_recommendation()
    {
        string cal = Path.Combine(Path.GetTempPath(), $"llambda-cal-{Guid.NewGuid():N}.json");
        try
        {
            var r = CliRunner.Run(["plan", "-m", SharedData.Model("stories260K.gguf"), "--ctx", "256", "--calibration", cal], stdin: null, TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("Smallest memory size that fits: **128 MB**", r.Stdout);
            Assert.Contains("| 10,240 |", r.Stdout);
            Assert.Contains("**cheapest**", r.Stdout);
            Assert.True(File.Exists(cal)); // the calibration was cached
        }
        finally
        {
            File.Delete(cal);
        }
    }

    /// <summary>The perplexity test text lives with the planner tests; find it from the repository root.</summary>
    private static string StoriesText()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Llambda.slnx"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "Llambda.Planner.Tests", "data", "stories.txt");
    }

    [Fact]
    public void Plan_rejects_an_unknown_architecture()
    {
        var r = CliRunner.Run("plan", "-m", SharedData.Model("stories260K.gguf"), "--arch", "sparc");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("x86_64 or arm64", r.Stderr);
    }
}
