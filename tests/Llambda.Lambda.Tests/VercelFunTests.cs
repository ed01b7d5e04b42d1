using System.Text.Json;

namespace Llambda.Lambda.Tests;

/// <summary>
/// The basic loop against an independent Runtime API implementation: @vercel/fun (npm, installed into
/// tests/lambda-fun by .ci/run) starts our <c>bootstrap</c> as a <c>provided</c> runtime, exactly as it would any
/// custom runtime, and invokes it. fun has no streaming, no trace ids, and sends a constant
/// <c>Lambda-Runtime-Deadline-Ms: 5000</c> (a duration, not an instant), which the runtime ignores as implausible.
/// </summary>
// Lambda runs on Linux: the bootstrap is an executable shell script.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class VercelFunTests
{
    private static string FunDirectory => Path.Combine(TestPaths.RepositoryRoot, "tests", "lambda-fun");

    /// <summary>A task root holding only a bootstrap that runs the llambda.dll built beside the tests.</summary>
    private static string TaskRoot()
    {
        string dir = TestPaths.NewTempDirectory("llambda-fun");
        string bootstrap = Path.Combine(dir, "bootstrap");
        File.WriteAllText(bootstrap, $"#!/bin/sh\nexec \"{TestPaths.Dotnet}\" \"{TestPaths.LlambdaDll}\" lambda\n");
        File.SetUnixFileMode(bootstrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return dir;
    }

    private static async Task<JsonElement[]> InvokeWithFunAsync(Dictionary<string, string> env, params object[] payloads)
    {
        Assert.True(Directory.Exists(Path.Combine(FunDirectory, "node_modules", "@vercel", "fun")),
            $"@vercel/fun is not installed: run `npm ci --no-audit --no-fund` in {FunDirectory} (.ci/run does).");
        string root = TaskRoot();
        string config = Path.Combine(root, "..", Path.GetFileName(root) + ".json");
        File.WriteAllText(config, JsonSerializer.Serialize(new { directory = root, env, payloads }));
        try
        {
            var (code, stdout, stderr) = await TestPaths.RunAsync("node", ["invoke.js", config], FunDirectory, TimeSpan.FromMinutes(2));
            Assert.True(code == 0, $"node invoke.js failed ({code}):\n{stderr}");
            return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }
        finally
        {
            File.Delete(config);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Fun_invokes_the_bootstrap_for_responses_and_handled_errors()
    {
        var results = await InvokeWithFunAsync(
            new() { ["LLAMBDA_MODEL"] = RuntimeHost.ModelPath, ["LLAMBDA_THREADS"] = "1" },
            new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["n-generate"] = 8, ["temperature"] = 0 },
            new { text = "not a prompt" },
            new { warmup = true },
            new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 4 });

        // 1. A response: the prompt payload people already send.
        Assert.Equal(200, results[0].GetProperty("StatusCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, results[0].GetProperty("FunctionError").ValueKind);
        var answer = JsonDocument.Parse(results[0].GetProperty("Payload").GetString()!).RootElement;
        Assert.Equal("length", answer.GetProperty("finish_reason").GetString());
        Assert.Equal(8, answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(answer.GetProperty("text").GetString()));

        // 2. A handled error: fun marks it Handled and keeps the process for the next invocation.
        Assert.Equal("Handled", results[1].GetProperty("FunctionError").GetString());
        var error = JsonDocument.Parse(results[1].GetProperty("Payload").GetString()!).RootElement;
        Assert.Equal("Llambda.InvalidRequest", error.GetProperty("errorType").GetString());
        Assert.Contains("neither 'prompt' nor 'messages'", error.GetProperty("errorMessage").GetString());

        // 3 and 4: the same process goes on serving.
        Assert.True(JsonDocument.Parse(results[2].GetProperty("Payload").GetString()!).RootElement.GetProperty("warm").GetBoolean());
        Assert.Equal("chat.completion", JsonDocument.Parse(results[3].GetProperty("Payload").GetString()!).RootElement.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Fun_reports_a_model_that_cannot_load_as_an_init_error()
    {
        var results = await InvokeWithFunAsync(new() { ["LLAMBDA_MODEL"] = "/nonexistent/missing.gguf" }, new { prompt = "x" });
        Assert.Equal("Unhandled", results[0].GetProperty("FunctionError").GetString());
        var error = JsonDocument.Parse(results[0].GetProperty("Payload").GetString()!).RootElement;
        Assert.Equal("Llambda.ModelLoadFailed", error.GetProperty("errorType").GetString());
        Assert.Contains("missing.gguf", error.GetProperty("errorMessage").GetString());
    }
}
