namespace Llambda.Provisioning.Tests;

/// <summary><c>llambda pull</c> as users run it, in separate processes against a real HTTP server.</summary>
public class CliPullTests : IAsyncLifetime
{
    private RangeServer _server = null!;
    private readonly TempDirectory _cache = new();
    private readonly byte[] _model = Payload.Random(4 << 20, seed: 3);
    private string _url = "";

    public async Task InitializeAsync()
    {
        _server = await RangeServer.StartAsync();
        _url = _server.Add("m/model.gguf", _model);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _cache.Dispose();
    }

    [Fact]
    public async Task TwoProcessesPullingAtOnceDownloadOnce()
    {
        // Slow the server down (4 MiB in about 1.5 s) so that the second process starts while the first downloads.
        _server.ChunkDelay = TimeSpan.FromMilliseconds(25);
        string[] args = ["pull", _url, "--cache-dir", _cache.Path, "--parts", "4", "--part-size", "1"];
        using var first = CliProcess.Start(args);
        using var second = CliProcess.Start(args);
        var outputs = await Task.WhenAll(
            Task.WhenAll(first.StandardOutput.ReadToEndAsync(), first.StandardError.ReadToEndAsync()),
            Task.WhenAll(second.StandardOutput.ReadToEndAsync(), second.StandardError.ReadToEndAsync()));
        await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(first.ExitCode == 0, string.Join('\n', outputs[0]));
        Assert.True(second.ExitCode == 0, string.Join('\n', outputs[1]));
        string path = Path.Combine(_cache.Path, "http", $"127.0.0.1_{new Uri(_url).Port}", "m", "model.gguf");
        Assert.Equal(_model, await File.ReadAllBytesAsync(path));

        // Exactly one download: one probe, four parts, every byte served once.
        var gets = _server.Requests;
        Assert.Equal(1, gets.Count(g => g.Range == "bytes=0-0"));
        Assert.Equal(5, gets.Count);
        Assert.Equal(_model.Length + 1, gets.Sum(g => g.BytesSent));
        // One of them pulled; the other waited for it and found the file.
        string all = string.Join('\n', outputs.SelectMany(o => o));
        Assert.Single(outputs, o => o[0].StartsWith($"pulled {_url}: 4.00 MiB in "));
        Assert.Single(outputs, o => o[0].StartsWith($"{_url}: already local (4.00 MiB) at {path}"));
        Assert.Contains("another process is downloading", all);
    }

    [Fact]
    public async Task ErrorsAreOneLineWithoutStackTraces()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["pull", _server.BaseUrl + "/missing.gguf", "--cache-dir", _cache.Path]);
        Assert.Equal(1, exit);
        Assert.Equal($"error: GET {_server.BaseUrl}/missing.gguf failed: 404 Not Found (check the URL).", stderr.Trim());
        Assert.Equal("", stdout);

        (exit, _, stderr) = await CliProcess.RunAsync(["pull", "s3://x", "--cache-dir", _cache.Path]);
        Assert.Equal(1, exit);
        Assert.Equal("error: Invalid model reference 's3://x': expected s3://bucket/key.", stderr.Trim());
    }

    [Fact]
    public async Task PlainProgressAndSummaryWhenNotATerminal()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["pull", $"{_url}#sha256={Payload.Sha256(_model)}", "--cache-dir", _cache.Path, "--part-size", "1"]);
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"^pulled http://127\.0\.0\.1:\d+/m/model\.gguf: 4\.00 MiB in \d+\.\d\d s \(\d+\.\d MB/s\), sha256 [0-9a-f]{64}, at /", stdout);

        (exit, stdout, _) = await CliProcess.RunAsync(["pull", $"{_url}#sha256={Payload.Sha256(_model)}", "--cache-dir", _cache.Path, "--quiet"]);
        Assert.Equal(0, exit);
        Assert.True(File.Exists(stdout.Trim()));
    }
}
