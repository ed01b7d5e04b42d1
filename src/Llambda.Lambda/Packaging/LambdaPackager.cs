using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Llambda.Provisioning;

namespace Llambda.Lambda.Packaging;

/// <summary>What <c>llambda package</c> is asked for.</summary>
public sealed record PackageRequest
{
    /// <summary>The model reference: a local file or name is bundled into the zip; a URL (https/s3/hf) is fetched at init.</summary>
    public string? Model { get; init; }

    /// <summary><c>x86_64</c> or <c>arm64</c> (Lambda's names).</summary>
    public string Architecture { get; init; } = "x86_64";

    public required string OutputDirectory { get; init; }

    /// <summary>The repository root (holds Llambda.slnx); found above the working directory when null.</summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>Compile ReadyToRun (faster cold start); falls back to plain IL when the toolchain cannot.</summary>
    public bool ReadyToRun { get; init; } = true;
}

/// <summary>What was built, with the numbers Lambda's limits are about.</summary>
public sealed record PackageResult(string ZipPath, long ZipBytes, long UnzippedBytes, bool ReadyToRun, bool ModelBundled, string ModelSetting, IReadOnlyList<string> Notes)
{
    /// <summary>Lambda's limit for a function's code and layers, unzipped.</summary>
    public const long UnzippedLimitBytes = 250L * 1024 * 1024;

    public bool FitsZipLimit => UnzippedBytes <= UnzippedLimitBytes;
}

/// <summary>
/// Builds a deployable function in one step: a self-contained single-file <c>llambda</c> for linux-x64 or
/// linux-arm64 (ReadyToRun: Native AOT's runtime pack is not available to this project), a <c>bootstrap</c> that runs
/// <c>llambda lambda</c>, the zip for the <c>provided.al2023</c> runtime, and beside it a Dockerfile for the
/// container-image route and a SAM <c>template.yaml</c>, both from <c>deploy/</c>.
/// </summary>
public static class LambdaPackager
{
    public const string BootstrapScript =
        "#!/bin/sh\n" +
        "# AWS Lambda custom runtime entry point (provided.al2023): run llambda's Runtime API loop.\n" +
        "# The code directory is read-only; anything .NET would extract or cache goes to /tmp.\n" +
        "export DOTNET_BUNDLE_EXTRACT_BASE_DIR=\"${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-/tmp/.net}\"\n" +
        "export DOTNET_CLI_TELEMETRY_OPTOUT=1\n" +
        "cd \"${LAMBDA_TASK_ROOT:-$(dirname \"$0\")}\"\n" +
        "exec ./llambda lambda\n";

    public static async Task<PackageResult> PackageAsync(PackageRequest request, Action<string>? log = null, CancellationToken cancellation = default)
    {
        log ??= _ => { };
        string rid = request.Architecture switch
        {
            "x86_64" or "x64" or "amd64" => "linux-x64",
            "arm64" or "aarch64" => "linux-arm64",
            _ => throw new ArgumentException($"--arch must be x86_64 or arm64, got '{request.Architecture}'."),
        };
        string arch = rid == "linux-x64" ? "x86_64" : "arm64";
        string root = request.RepositoryRoot ?? FindRepositoryRoot(Directory.GetCurrentDirectory())
            ?? FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException("llambda package builds from the source tree: run it inside the repository (the folder with Llambda.slnx).");
        string output = Path.GetFullPath(request.OutputDirectory);
        string staging = Path.Combine(output, "function");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        var notes = new List<string>();

        // 1. The binary.
        bool readyToRun = request.ReadyToRun;
        int code = await PublishAsync(root, rid, staging, Path.Combine(output, "build"), readyToRun, log, cancellation).ConfigureAwait(false);
        if (code != 0 && readyToRun)
        {
            notes.Add("ReadyToRun compilation failed; the binary is plain IL (slower first requests). See the publish log above.");
            log("ReadyToRun publish failed; retrying without ReadyToRun.");
            readyToRun = false;
            code = await PublishAsync(root, rid, staging, Path.Combine(output, "build"), readyToRun, log, cancellation).ConfigureAwait(false);
        }
        if (code != 0) throw new InvalidOperationException($"dotnet publish for {rid} failed (exit code {code}); see its output above.");
        foreach (string debug in Directory.EnumerateFiles(staging, "*.pdb")) File.Delete(debug);
        await File.WriteAllTextAsync(Path.Combine(staging, "bootstrap"), BootstrapScript, cancellation).ConfigureAwait(false);

        // 2. The model: a local file rides in the zip (found by name in ./models at run time); a URL is fetched at init.
        string modelSetting;
        bool bundled = false;
        string reference = string.IsNullOrWhiteSpace(request.Model) ? ModelLocator.DefaultModelName : request.Model.Trim();
        if (ModelReference.TryParse(reference, out var parsed) && parsed is { IsRemote: true })
        {
            modelSetting = reference;
            notes.Add($"The model is fetched from {parsed.Location} into /tmp at init: give the function enough EphemeralStorage for it.");
        }
        else
        {
            string path = ModelLocator.FromEnvironment().Resolve(reference);
            string models = Path.Combine(staging, "models");
            Directory.CreateDirectory(models);
            File.Copy(path, Path.Combine(models, Path.GetFileName(path)), overwrite: true);
            modelSetting = Path.GetFileNameWithoutExtension(path);
            bundled = true;
        }

        // 3. The zip, with Unix modes: Lambda runs bootstrap and llambda straight from it.
        string zip = Path.Combine(output, $"llambda-{arch}.zip");
        long unzipped = WriteZip(staging, zip);
        if (unzipped > PackageResult.UnzippedLimitBytes)
        {
            notes.Add($"Unzipped size {Mb(unzipped)} MB exceeds Lambda's 250 MB zip limit" + (bundled
                ? ": deploy the container image (Dockerfile, 10 GB limit) or give --model an https/s3/hf URL so the model is fetched at init."
                : "."));
        }

        // 4. The container-image route and the SAM template, from deploy/, set to this architecture and model.
        string deploy = Path.Combine(root, "deploy");
        string dockerfile = await File.ReadAllTextAsync(Path.Combine(deploy, "Dockerfile"), cancellation).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "Dockerfile"), dockerfile, cancellation).ConfigureAwait(false);
        string template = await File.ReadAllTextAsync(Path.Combine(deploy, "template.yaml"), cancellation).ConfigureAwait(false);
        template = SetDefault(template, "arch", arch);
        template = SetDefault(template, "model", modelSetting);
        template = SetDefault(template, "code", Path.GetFileName(zip));
        await File.WriteAllTextAsync(Path.Combine(output, "template.yaml"), template, cancellation).ConfigureAwait(false);

        return new PackageResult(zip, new FileInfo(zip).Length, unzipped, readyToRun, bundled, modelSetting, notes);
    }

    private static async Task<int> PublishAsync(string root, string rid, string output, string build, bool readyToRun, Action<string> log, CancellationToken cancellation)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (string arg in new[]
        {
            "publish", Path.Combine(root, "src", "Llambda.Cli", "Llambda.Cli.csproj"),
            "-c", "Release", "-r", rid, "--self-contained",
            "-p:PublishSingleFile=true",
            $"-p:PublishReadyToRun={(readyToRun ? "true" : "false")}",
            // Everything the runtime needs inside the one file; nothing to extract to a read-only /var/task.
            "-p:IncludeNativeLibrariesForSelfExtract=true",
            "-p:DebugType=none",
            // Its own obj/bin: a package build never disturbs the developer's Debug build of the same projects.
            "--artifacts-path", build,
            "-o", output,
        }) psi.ArgumentList.Add(arg);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        log($"dotnet {string.Join(' ', psi.ArgumentList)}");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start dotnet.");
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) log(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) log(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>Zips <paramref name="directory"/> with each file's Unix mode; returns the unzipped size.</summary>
    public static long WriteZip(string directory, string zipPath)
    {
        if (File.Exists(zipPath)) File.Delete(zipPath);
        long total = 0;
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string name = Path.GetRelativePath(directory, file).Replace('\\', '/');
            var entry = zip.CreateEntryFromFile(file, name, CompressionLevel.Optimal);
            bool executable = name is "bootstrap" or "llambda";
            // The upper 16 bits hold st_mode (S_IFREG | permissions), as Info-ZIP writes them.
            entry.ExternalAttributes = (int)((0x8000 | (executable ? 0b111_101_101 : 0b110_100_100)) << 16);
            total += new FileInfo(file).Length;
        }
        return total;
    }

    /// <summary>Replaces the default on the template line marked <c># llambda package: KEY</c>.</summary>
    private static string SetDefault(string template, string key, string value) =>
        Regex.Replace(template, $@"(Default:\s*)\S+(\s*#\s*llambda package: {key}\b)", m => m.Groups[1].Value + value + m.Groups[2].Value);

    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Llambda.slnx"))) return dir.FullName;
        return null;
    }

    public static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
