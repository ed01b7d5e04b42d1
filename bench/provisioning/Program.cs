// Provisioning benchmark (not a test): how fast a model reaches the local disk, and what that costs a cold start.
//  1. Pull a generated file (default 1 GiB) from Kestrel on 127.0.0.1 with 1 stream and with N parallel streams.
//  2. Time from process start to first token: `llambda pull URL` + `llambda generate -m PATH -n 1` with an empty
//     cache (cold) and with the file already cached (warm), each as fresh processes, the way a Lambda init runs them.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Llambda.Provisioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int sizeMb = IntArg("--size-mb", 1024), parts = IntArg("--parts", 8), partSizeMb = IntArg("--part-size", 16), runs = IntArg("--runs", 3);
int capMbps = IntArg("--cap-mbps", 50), cappedSizeMb = IntArg("--capped-size-mb", 256);
string model = StringArg("--model") ?? FindSharedModel("tinyllama-v0-Q4_0.gguf");

string work = Directory.CreateTempSubdirectory("llambda-bench-").FullName;
try
{
    string big = Path.Combine(work, "big.bin");
    WriteRandomFile(big, (long)sizeMb << 20);
    await using var server = await StartServerAsync(new Dictionary<string, string> { ["/big.bin"] = big, ["/model.gguf"] = model }, capMbps);
    string baseUrl = server.Urls.First();

    Console.WriteLine($"machine: {Environment.ProcessorCount} CPUs, {CpuName()}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    Console.WriteLine($"date:    {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine($"file:    {sizeMb} MiB over http://127.0.0.1 (Kestrel, page-cached source), part size {partSizeMb} MiB, best of {runs}");
    Console.WriteLine();
    Console.WriteLine("| streams | seconds | MB/s |");
    Console.WriteLine("|---:|---:|---:|");
    foreach (var (streams, digest) in new[] { (1, true), (parts, true), (1, false), (parts, false) }.Distinct())
    {
        double best = double.MaxValue;
        for (int run = 0; run < runs; run++)
        {
            string cache = Path.Combine(work, $"cache-{streams}-{run}");
            var result = await ModelProvider.PullAsync(baseUrl + "/big.bin", new ProvisioningOptions
            {
                CacheDirectory = cache,
                ParallelStreams = streams,
                PartSize = (long)partSizeMb << 20,
                ComputeDigest = digest,
            });
            best = Math.Min(best, result.Elapsed.TotalSeconds);
            Directory.Delete(cache, recursive: true); // keep the disk (and the page cache) from filling up
        }
        Console.WriteLine($"| {streams}{(digest ? "" : ", no sha256")} | {best:0.00} | {((long)sizeMb << 20) / 1e6 / best:0} |");
    }
    // The same file through curl (one stream, no hashing): what the machine's loopback and disk allow.
    double curlBest = double.MaxValue;
    for (int run = 0; run < runs; run++)
    {
        string target = Path.Combine(work, "curl.bin");
        var clock = Stopwatch.StartNew();
        using (var curl = Process.Start(new ProcessStartInfo("curl", ["-sf", "-o", target, baseUrl + "/big.bin"]))!) await curl.WaitForExitAsync();
        curlBest = Math.Min(curlBest, clock.Elapsed.TotalSeconds);
        File.Delete(target);
    }
    Console.WriteLine($"| curl, 1 stream, no sha256 | {curlBest:0.00} | {((long)sizeMb << 20) / 1e6 / curlBest:0} |");
    // And sha256 alone over the same bytes (from the page cache): the floor for any pull that verifies.
    var hashClock = Stopwatch.StartNew();
    await using (var stream = File.OpenRead(big)) await System.Security.Cryptography.SHA256.HashDataAsync(stream);
    Console.WriteLine($"| sha256 of the file alone (.NET) | {hashClock.Elapsed.TotalSeconds:0.00} | {((long)sizeMb << 20) / 1e6 / hashClock.Elapsed.TotalSeconds:0} |");

    Console.WriteLine();
    Console.WriteLine($"the first {cappedSizeMb} MiB of it with each connection capped at {capMbps} MB/s (as one S3 or CDN connection is), no sha256:");
    Console.WriteLine();
    Console.WriteLine("| streams | seconds | MB/s |");
    Console.WriteLine("|---:|---:|---:|");
    string capped = Path.Combine(work, "capped.bin");
    using (var src = File.OpenRead(big))
    using (var dst = File.Create(capped))
    {
        var buffer = new byte[1 << 20];
        for (int i = 0; i < cappedSizeMb; i++) { src.ReadExactly(buffer); dst.Write(buffer); }
    }
    File.Move(capped, big, overwrite: true);
    foreach (int streams in new[] { 1, parts }.Distinct())
    {
        string cache = Path.Combine(work, $"capped-{streams}");
        var result = await ModelProvider.PullAsync(baseUrl + "/slow/big.bin", new ProvisioningOptions
        {
            CacheDirectory = cache, ParallelStreams = streams, PartSize = (long)partSizeMb << 20, ComputeDigest = false,
        });
        Console.WriteLine($"| {streams} | {result.Elapsed.TotalSeconds:0.00} | {((long)cappedSizeMb << 20) / 1e6 / result.Elapsed.TotalSeconds:0} |");
        Directory.Delete(cache, recursive: true);
    }

    Console.WriteLine();
    Console.WriteLine($"cold vs warm start, model {Path.GetFileName(model)} ({new FileInfo(model).Length / 1e6:0.0} MB), process start to first token:");
    Console.WriteLine();
    Console.WriteLine("| start | pull (s) | generate -n 1 (s) | total (s) |");
    Console.WriteLine("|---|---:|---:|---:|");
    string startCache = Path.Combine(work, "start-cache");
    string url = baseUrl + "/model.gguf";
    foreach (string kind in new[] { "cold", "warm" })
    {
        var (pullSeconds, path) = await TimeProcessAsync(["pull", url, "--cache-dir", startCache, "--quiet"]);
        var (generateSeconds, _) = await TimeProcessAsync(["generate", "-m", path.Trim(), "-n", "1", "-p", "Once upon a time"]);
        Console.WriteLine($"| {kind} | {pullSeconds:0.00} | {generateSeconds:0.00} | {pullSeconds + generateSeconds:0.00} |");
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}

static async Task<(double Seconds, string Stdout)> TimeProcessAsync(string[] args)
{
    var clock = Stopwatch.StartNew();
    var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "llambda.dll"), .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    double seconds = clock.Elapsed.TotalSeconds;
    if (process.ExitCode != 0) throw new InvalidOperationException($"llambda {string.Join(' ', args)} failed: {await stderr}");
    return (seconds, await stdout);
}

static void WriteRandomFile(string path, long length)
{
    // 16 MiB of random bytes, each copy stamped with its index so no two blocks are equal.
    var block = new byte[16 << 20];
    new Random(42).NextBytes(block);
    using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
    for (long written = 0, i = 0; written < length; written += block.Length, i++)
    {
        BitConverter.TryWriteBytes(block, i);
        file.Write(block, 0, (int)Math.Min(block.Length, length - written));
    }
}

static async Task<WebApplication> StartServerAsync(Dictionary<string, string> files, double perConnectionMbps)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    var app = builder.Build();
    // Results.File: sendfile from the page cache, with Range/206 support like a static file server or a CDN.
    app.Run(context =>
    {
        string path = context.Request.Path.Value ?? "";
        // /slow/NAME: the same file at a capped rate per connection, like one S3 or CDN connection.
        bool slow = path.StartsWith("/slow/", StringComparison.Ordinal);
        if (!files.TryGetValue(slow ? path[5..] : path, out var file)) return Results.NotFound().ExecuteAsync(context);
        // (A body feature, not just Response.Body: Results.File would otherwise sendfile straight past the stream.)
        if (slow)
            context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>(
                new StreamResponseBodyFeature(new ThrottledStream(context.Response.Body, perConnectionMbps)));
        return Results.File(file, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    });
    await app.StartAsync();
    return app;
}

static string CpuName() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?" : "?";

static string FindSharedModel(string name)
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "..", "shared", "models", name);
        if (File.Exists(Path.Combine(dir.FullName, "Llambda.slnx")) && File.Exists(candidate)) return Path.GetFullPath(candidate);
    }
    throw new FileNotFoundException($"{name} not found in ../shared/models; pass --model PATH.");
}

int IntArg(string name, int fallback) => StringArg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
string? StringArg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

/// <summary>Writes through at no more than the given rate (per response, i.e. per connection).</summary>
sealed class ThrottledStream(Stream inner, double megabytesPerSecond) : Stream
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _written;
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        for (int at = 0; at < buffer.Length; at += 64 << 10)
        {
            var chunk = buffer.Slice(at, Math.Min(64 << 10, buffer.Length - at));
            await inner.WriteAsync(chunk, cancellationToken);
            _written += chunk.Length;
            var due = TimeSpan.FromSeconds(_written / (megabytesPerSecond * 1e6));
            if (due > _clock.Elapsed) await Task.Delay(due - _clock.Elapsed, cancellationToken);
        }
    }
}
