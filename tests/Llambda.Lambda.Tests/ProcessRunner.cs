using System.Diagnostics;
using System.Text;

namespace Llambda.Lambda.Tests;

/// <summary>Where the tests find the repository, the built llambda.dll and the dotnet host.</summary>
public static class TestPaths
{
    public static string RepositoryRoot => Packaging.LambdaPackager.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new DirectoryNotFoundException("No Llambda.slnx above " + AppContext.BaseDirectory);

    /// <summary>The CLI built beside the tests (the test project references it).</summary>
    public static string LlambdaDll => Path.Combine(AppContext.BaseDirectory, "llambda.dll");

    /// <summary>The dotnet host running these tests, so a child process uses the same runtime.</summary>
    public static string Dotnet => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    public static string NewTempDirectory(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a process to completion, returning its exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish.\nstdout: {stdout}\nstderr: {stderr}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
