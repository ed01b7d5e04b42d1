namespace Llambda.Provisioning.Tests;

/// <summary>Downloads from a real Kestrel server on 127.0.0.1, with faults injected.</summary>
public class HttpDownloadTests : IAsyncLifetime
{
    private const int PartSize = 256 << 10;
    private RangeServer _server = null!;
    private readonly TempDirectory _cache = new();
    private readonly byte[] _model = Payload.Random(3 << 20); // 12 parts of 256 KiB
    private string _url = "";

    public async Task InitializeAsync()
    {
        _server = await RangeServer.StartAsync();
        _url = _server.Add("files/model.gguf", _model);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _cache.Dispose();
    }

    private ProvisioningOptions Options(Action<ProvisioningOptions>? configure = null)
    {
        var options = new ProvisioningOptions
        {
            CacheDirectory = _cache.Path,
            ParallelStreams = 4,
            PartSize = PartSize,
            RetryDelay = TimeSpan.FromMilliseconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    private List<ServedRequest> FileGets() => _server.Requests.Where(r => r.Path == "/files/model.gguf").ToList();

    [Fact]
    public async Task ParallelRangedDownloadThenCacheHit()
    {
        var reports = new List<DownloadProgress>();
        var result = await ModelProvider.PullAsync(_url, Options(o => o.Progress = new SyncProgress(reports.Add)));

        Assert.False(result.FromCache);
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(Path.Combine(_cache.Path, "http", new Uri(_server.BaseUrl).Host + "_" + new Uri(_server.BaseUrl).Port, "files", "model.gguf"), result.Path);
        Assert.True(result.Download!.Parallel);
        Assert.Equal(Payload.Sha256(_model), result.Download.Sha256);
        // One probe of one byte, then 12 parts, each served exactly once.
        var gets = FileGets();
        Assert.Equal(13, gets.Count);
        Assert.Equal("bytes=0-0", gets.Single(g => g.BytesSent == 1).Range);
        Assert.Equal(_model.Length, gets.Where(g => g.BytesSent > 1).Sum(g => g.BytesSent));
        Assert.All(gets, g => Assert.Equal(206, g.Status));
        // The progress callback ends on the full size; nothing but the model is left in the entry's folder.
        Assert.Equal(_model.Length, reports[^1].BytesDone);
        Assert.Equal(_model.Length, reports[^1].TotalBytes);
        Assert.DoesNotContain(_cache.Files(), f => f.EndsWith(".partial") || f.EndsWith(".json"));

        _server.ClearRequests();
        var again = await ModelProvider.PullAsync(_url, Options());
        Assert.True(again.FromCache);
        Assert.Equal(result.Path, again.Path);
        Assert.Empty(_server.Requests); // a cache hit sends nothing
    }

    [Fact]
    public async Task DroppedConnectionResumesFromTheLastByteWritten()
    {
        _server.SetDrops(requests: 3, afterBytes: 100_000); // the probe (1 byte) is unaffected; the next parts drop
        var result = await ModelProvider.PullAsync(_url, Options());

        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        // Retried requests start where the dropped ones stopped, not at their part's start.
        var resumed = FileGets().Where(g => g.Range is not null && long.Parse(g.Range![6..g.Range!.IndexOf('-')]) % PartSize != 0).ToList();
        Assert.Equal(3, resumed.Count);
        Assert.All(resumed, g => Assert.InRange(long.Parse(g.Range![6..g.Range!.IndexOf('-')]) % PartSize, 1, 100_000));
        // Restarting the dropped parts from their start would have cost the server 3 x 100,000 bytes more than the file.
        Assert.InRange(FileGets().Sum(g => g.BytesSent), _model.Length + 1, _model.Length + 3 * 100_000);
    }

    [Fact]
    public async Task ResumeAcrossRunsFetchesOnlyTheMissingBytes()
    {
        // First run: every part drops after 100 KB and there are no retries, so it fails leaving a partial file.
        _server.SetDrops(requests: int.MaxValue, afterBytes: 100_000);
        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => ModelProvider.PullAsync(_url, Options(o => o.MaxRetries = 0)));
        Assert.True(e.Message.Contains("connection") && e.Message.Contains("the next pull resumes it"), e.Message);
        var entry = new ModelCache(_cache.Path).EntryFor(ModelReference.Parse(_url));
        Assert.True(File.Exists(entry.PartialPath));
        Assert.True(File.Exists(entry.StatePath));
        Assert.False(File.Exists(entry.FilePath));
        // What the sidecar says is on disk (the server sent a little more than arrived before each reset).
        long onDisk = PartialState.Load(entry.StatePath)!.ToRangeSet().Count;
        Assert.InRange(onDisk, 1, _model.Length - 1);

        _server.SetDrops(0, 0);
        _server.ClearRequests();
        var result = await ModelProvider.PullAsync(_url, Options());
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(_model.Length - onDisk, result.Download!.BytesFetched);
        Assert.Equal(_model.Length - onDisk + 1, FileGets().Sum(g => g.BytesSent));
        Assert.False(File.Exists(entry.PartialPath));
        Assert.False(File.Exists(entry.StatePath));
    }

    [Fact]
    public async Task PartialOfAnotherVersionIsDiscarded()
    {
        _server.SetDrops(requests: int.MaxValue, afterBytes: 100_000);
        await Assert.ThrowsAsync<ModelDownloadException>(() => ModelProvider.PullAsync(_url, Options(o => o.MaxRetries = 0)));
        _server.SetDrops(0, 0);
        _server.ETag = "\"v2\""; // the file was replaced on the server
        _server.ClearRequests();

        var result = await ModelProvider.PullAsync(_url, Options());
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(_model.Length, result.Download!.BytesFetched);
    }

    [Fact]
    public async Task GoodPinPassesAndGetsItsOwnEntry()
    {
        string pinned = $"{_url}#sha256={Payload.Sha256(_model)}";
        var result = await ModelProvider.PullAsync(pinned, Options());
        Assert.Contains($"sha256-{Payload.Sha256(_model)[..16]}", result.Path);
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
    }

    [Fact]
    public async Task CorruptedBytesFailTheDigestAndLeaveNoPartial()
    {
        _server.CorruptOffset = 1_000_000;
        string expected = Payload.Sha256(_model);
        var e = await Assert.ThrowsAsync<ModelDigestMismatchException>(() => ModelProvider.PullAsync($"{_url}#sha256={expected}", Options()));

        Assert.Contains(expected, e.Message);
        Assert.Contains(e.Actual, e.Message);
        Assert.NotEqual(expected, e.Actual);
        Assert.Contains(_url, e.Message);
        Assert.DoesNotContain(_cache.Files(), f => !f.EndsWith(".lock")); // no model, no partial, no sidecar
    }

    [Theory]
    [InlineData(404, "404 Not Found (check the URL)")]
    [InlineData(403, "403 Forbidden")]
    [InlineData(401, "401 Unauthorized")]
    public async Task ClientErrorsAreClearAndNotRetried(int status, string expected)
    {
        _server.SetStatus(status);
        var e = await Assert.ThrowsAsync<ModelDownloadException>(() => ModelProvider.PullAsync(_url, Options()));
        Assert.Equal($"GET {_url} failed: {expected}", e.Message[..(e.Message.IndexOf(expected, StringComparison.Ordinal) + expected.Length)]);
        Assert.Equal(status, e.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ServerErrorsAreRetriedWithBackoff()
    {
        _server.SetStatus(503, requests: 2);
        var result = await ModelProvider.PullAsync(_url, Options());
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(2, _server.Requests.Count(r => r.Status == 503));
    }

    [Fact]
    public async Task NoRangeSupportFallsBackToOneStream()
    {
        _server.SupportsRanges = false;
        var logs = new List<string>();
        var result = await ModelProvider.PullAsync(_url, Options(o => o.Log = logs.Add));

        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.False(result.Download!.Parallel);
        var get = Assert.Single(FileGets()); // the probe's 200 body is the download
        Assert.Equal(200, get.Status);
        Assert.Equal(_model.Length, get.BytesSent);
        Assert.Contains(logs, l => l.Contains("does not support byte ranges"));
    }

    [Fact]
    public async Task NoRangeSupportRestartsADroppedStream()
    {
        _server.SupportsRanges = false;
        _server.SetDrops(requests: 1, afterBytes: 500_000);
        var result = await ModelProvider.PullAsync($"{_url}#sha256={Payload.Sha256(_model)}", Options());
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(2, FileGets().Count);
    }

    [Fact]
    public async Task TooLittleDiskSpaceFailsBeforeDownloading()
    {
        var e = await Assert.ThrowsAsync<InsufficientDiskSpaceException>(() => ModelProvider.PullAsync(_url, Options(o => o.AvailableBytesOverride = 1_000_000)));
        Assert.Contains("need 3 MB", e.Message);
        Assert.Contains("has 1 MB free", e.Message);
        Assert.Single(FileGets()); // only the probe
    }

    [Fact]
    public async Task UnreachableServerGivesAClearMessageAfterRetries()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var e = await Assert.ThrowsAsync<ModelDownloadException>(() =>
            ModelProvider.PullAsync($"http://127.0.0.1:{port}/x.gguf", Options(o => o.MaxRetries = 2)));
        Assert.Contains($"cannot connect to 127.0.0.1:{port}", e.Message);
        Assert.Contains("Gave up after 2 retries", e.Message);
    }

    [Fact]
    public async Task HuggingFaceReferencesUseTheEndpointAndToken()
    {
        _server.Add("org/repo/resolve/v2/dir/model.gguf", _model);
        _server.RequiredBearer = "secret";
        var e = await Assert.ThrowsAsync<ModelDownloadException>(() =>
            ModelProvider.PullAsync("hf://org/repo/dir/model.gguf@v2", Options(o => o.HuggingFaceEndpoint = _server.BaseUrl)));
        Assert.Contains("set HF_TOKEN", e.Message);

        var result = await ModelProvider.PullAsync("hf://org/repo/dir/model.gguf@v2", Options(o =>
        {
            o.HuggingFaceEndpoint = _server.BaseUrl;
            o.HuggingFaceToken = "secret";
        }));
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(Path.Combine(_cache.Path, "hf", "org", "repo", "v2", "dir", "model.gguf"), result.Path);
    }

    [Fact]
    public async Task DigestCanBeSkippedOnlyWhenNotPinned()
    {
        var result = await ModelProvider.PullAsync(_url, Options(o => o.ComputeDigest = false));
        Assert.Null(result.Download!.Sha256);
        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));

        _server.CorruptOffset = 5;
        await Assert.ThrowsAsync<ModelDigestMismatchException>(() =>
            ModelProvider.PullAsync($"{_url}#sha256={Payload.Sha256(_model)}", Options(o => o.ComputeDigest = false)));
    }

    [Fact]
    public async Task OneStreamAndOddSizesWork()
    {
        byte[] odd = Payload.Random(PartSize * 2 + 17, seed: 5);
        string url = _server.Add("odd.gguf", odd);
        var result = await ModelProvider.PullAsync(url, Options(o => o.ParallelStreams = 1));
        Assert.Equal(odd, await File.ReadAllBytesAsync(result.Path));

        string empty = _server.Add("empty.gguf", []);
        var none = await ModelProvider.PullAsync(empty, Options());
        Assert.Equal(0, new FileInfo(none.Path).Length);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the calls in order, on the reporting thread.</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (this) report(value);
        }
    }
}
