using System.Diagnostics;

namespace Llambda.Provisioning.Tests;

/// <summary>Runs the real CLI (<c>dotnet llambda.dll ...</c>, built beside the tests) as a separate process.</summary>
public static class CliProcess
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "llambda.dll");

    public static Process Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [CliDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A clean slate: no cache or endpoints from the machine running the tests.
        foreach (string name in new[] { "LLAMBDA_CACHE_DIR", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "HF_TOKEN", "HF_ENDPOINT" })
            start.Environment.Remove(name);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return Process.Start(start)!;
    }

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        using var process = Start(args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }
}
