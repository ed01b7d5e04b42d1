using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Cli.Tests;

public class GenerateCommandTests
{
    [Fact]
    public void Default_model_greedy_output_is_llama_cpp_text()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Reference("generate", "stories260K.json")));
        var first = doc.RootElement.GetProperty("cases")[0];
        var r = CliRunner.Run("generate", "-p", first.GetProperty("prompt").GetString()!, "-n", "32", "--temp", "0", "--ignore-eos");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(first.GetProperty("greedy_text").GetString() + "\n", r.Stdout);
        Assert.Matches(@"load \d+ ms \| prompt 5 tokens, [\d.]+ tok/s \| generated 32 tokens, [\d.]+ tok/s \| finish: length", r.Stderr);
    }

    [Fact]
    public void Same_tokens_with_one_and_two_threads()
    {
        var one = CliRunner.Run("generate", "-m", "synth-qwen3-gpt2-Q6_K", "-p", "Hello world", "-n", "24", "--temp", "0", "--ignore-eos", "-t", "1");
        var two = CliRunner.Run("generate", "-m", "synth-qwen3-gpt2-Q6_K", "-p", "Hello world", "-n", "24", "--temp", "0", "--ignore-eos", "-t", "2");
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(one.Stdout, two.Stdout);
    }

    [Fact]
    public void Echo_and_stop_strings()
    {
        var r = CliRunner.Run("generate", "-p", "Once upon a time", "-n", "40", "--temp", "0", "--echo", "--stop", "Lily");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Once upon a time, there was a little girl named \n", r.Stdout);
        Assert.Contains("finish: stop", r.Stderr);
    }

    [Theory]
    [InlineData(new[] { "generate", "-m", "/nonexistent/model.gguf" }, "not found")]
    [InlineData(new[] { "generate", "-m", "no-such-model-name" }, "Looked for it in")]
    [InlineData(new[] { "generate", "--temp", "-1" }, "temperature")]
    [InlineData(new[] { "generate", "--ctx", "3", "-p", "Once upon a time" }, "context holds 3")]
    [InlineData(new[] { "inspect", "BAD:stories260k-gguf-v1.gguf" }, "version 1")]
    [InlineData(new[] { "generate", "-m", "BAD:stories260k-q8_0-misaligned-rows.gguf" }, "not a multiple of Q8_0's block")]
    public void Bad_input_gets_one_clear_line_and_exit_code_1(string[] args, string message)
    {
        args = args.Select(a => a.StartsWith("BAD:") ? Path.Combine(SharedData.ModelsDir, "bad", a[4..]) : a).ToArray();
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }
}
