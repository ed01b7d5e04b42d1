using System.Diagnostics;

namespace Llambda.Cli.Tests;

/// <summary>Runs the real <c>llambda</c> program (the built llambda.dll beside the tests) as a child process.</summary>
public static class CliRunner
{
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "llambda.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => Run(args, stdin: null);

    public static Result Run(string[] args, string? stdin, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        psi.ArgumentList.Add(DllPath);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin != null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"llambda {string.Join(' ', args)} did not finish.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
