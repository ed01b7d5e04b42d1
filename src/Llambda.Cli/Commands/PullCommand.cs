using System.CommandLine;
using System.Globalization;
using Llambda.Provisioning;
using Spectre.Console;

namespace Llambda.Cli.Commands;

/// <summary><c>llambda pull REF [--cache-dir D] [--parts N] [--part-size MB]</c>: fetch a model into the cache ahead of time.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("reference")
        {
            Description = "What to fetch: https://host/x.gguf, s3://bucket/key, hf://org/repo/file.gguf[@revision], a path or a name; " +
                          "append #sha256=HEX to pin the content.",
        };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache directory (default: LLAMBDA_CACHE_DIR, /tmp/llambda in Lambda, ~/.cache/llambda/models)." };
        var parts = new Option<int>("--parts") { Description = "Parallel ranged GETs.", DefaultValueFactory = _ => 8 };
        var partSize = new Option<int>("--part-size") { Description = "Size of each ranged GET, in MiB.", DefaultValueFactory = _ => 16 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the model's local path." };
        var noDigest = new Option<bool>("--no-digest") { Description = "Skip the sha256 of an unpinned download (faster where hashing is the bottleneck; pinned ones are always checked)." };
        var command = new Command("pull", "Download a model (HTTPS, S3, Hugging Face) into the local cache, verified and resumable.")
        {
            reference, cacheDir, parts, partSize, quiet, noDigest,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(partSize) is < 1 or > 1024) throw new ArgumentException($"--part-size must be between 1 and 1024 MiB, got {parse.GetValue(partSize)}.");
            var options = new ProvisioningOptions
            {
                CacheDirectory = parse.GetValue(cacheDir),
                ParallelStreams = parse.GetValue(parts),
                PartSize = (long)parse.GetValue(partSize) << 20,
                ComputeDigest = !parse.GetValue(noDigest),
                Log = parse.GetValue(quiet) ? null : message => Console.Error.WriteLine(message),
            };
            string text = parse.GetValue(reference)!;
            ProvisionResult result = parse.GetValue(quiet)
                ? await ModelProvider.PullAsync(text, options, cancellationToken)
                : await PullWithProgressAsync(text, options, cancellationToken);
            Console.Out.WriteLine(parse.GetValue(quiet) ? result.Path : Summary(result));
            return 0;
        });
        return command;
    }

    /// <summary>A progress bar on a terminal; plain lines (at most one per second) when output goes to a file or pipe.</summary>
    private static async Task<ProvisionResult> PullWithProgressAsync(string reference, ProvisioningOptions options, CancellationToken cancellationToken)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var lastLine = TimeSpan.Zero;
            options.Progress = new Progress(p =>
            {
                if (p.Elapsed - lastLine < TimeSpan.FromSeconds(1)) return;
                lastLine = p.Elapsed;
                string total = p.TotalBytes is long t ? $"/{Mb(t)}" : "";
                string percent = p.Fraction is double f ? $" ({f * 100:0}%)" : "";
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pulling {p.Source}: {Mb(p.BytesDone)}{total} MB{percent}, {p.MegabytesPerSecond:0.0} MB/s"));
            });
            return await ModelProvider.PullAsync(reference, options, cancellationToken);
        }

        ProvisionResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(Path.GetFileName(reference.Split('#')[0])), autoStart: true, maxValue: 1);
                options.Progress = new Progress(p =>
                {
                    if (p.TotalBytes is long total) task.MaxValue = Math.Max(total, 1);
                    task.Value = p.BytesDone;
                });
                result = await ModelProvider.PullAsync(reference, options, cancellationToken);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static string Summary(ProvisionResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        if (r.Download is not { } d)
            return $"{r.Reference.Location}: already local ({InspectCommand.Bytes(r.Length)}) at {r.Path}";
        double seconds = d.Elapsed.TotalSeconds;
        string resumed = d.BytesFetched < d.Length ? $", {InspectCommand.Bytes(d.Length - d.BytesFetched)} resumed from an earlier run" : "";
        string streams = d.Parallel ? "" : ", one stream (no range support)";
        return string.Create(inv, $"pulled {r.Reference.Location}: {InspectCommand.Bytes(d.Length)} in {seconds:0.00} s ") +
               string.Create(inv, $"({(seconds > 0 ? d.BytesFetched / 1e6 / seconds : 0):0.0} MB/s{resumed}{streams}), {(d.Sha256 is null ? "" : $"sha256 {d.Sha256}, ")}at {r.Path}");
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Calls back on the reporting thread (System.Progress would post to the thread pool, out of order).</summary>
    private sealed class Progress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
