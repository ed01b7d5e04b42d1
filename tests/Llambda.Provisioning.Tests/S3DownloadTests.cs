namespace Llambda.Provisioning.Tests;

/// <summary>Downloads from a real S3-compatible server (s3rver from npm) through the AWS SDK for .NET.</summary>
public class S3DownloadTests : IAsyncLifetime
{
    private S3rverServer _s3 = null!;
    private readonly TempDirectory _cache = new();
    private readonly byte[] _model = Payload.Random((5 << 20) + 12345, seed: 7); // 6 parts of 1 MiB, the last one short

    public async Task InitializeAsync()
    {
        _s3 = await S3rverServer.StartAsync();
        await _s3.PutAsync("llama/tiny.gguf", _model);
    }

    public async Task DisposeAsync()
    {
        await _s3.DisposeAsync();
        _cache.Dispose();
    }

    private List<string> ObjectRequests() => _s3.Requests.Where(r => r.Contains("/models/llama/tiny.gguf")).ToList();

    [Fact]
    public async Task PullsInParallelRangesThenHitsTheCache()
    {
        int before = _s3.Requests.Count;
        var result = await ModelProvider.PullAsync($"s3://{S3rverServer.Bucket}/llama/tiny.gguf", _s3.Options(_cache.Path));

        Assert.Equal(_model, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(Path.Combine(_cache.Path, "s3", "models", "llama", "tiny.gguf"), result.Path);
        Assert.True(result.Download!.Parallel);
        var requests = ObjectRequests();
        Assert.Equal(1, requests.Count(r => r.StartsWith("HEAD ")));
        var gets = requests.Where(r => r.StartsWith("GET ")).ToList();
        Assert.Equal(6, gets.Count);
        Assert.All(gets, g => Assert.Matches(@"bytes=\d+-\d+$", g));
        Assert.Contains(gets, g => g.EndsWith($"bytes={5 << 20}-{_model.Length - 1}"));

        int afterFirst = _s3.Requests.Count;
        var again = await ModelProvider.PullAsync($"s3://{S3rverServer.Bucket}/llama/tiny.gguf", _s3.Options(_cache.Path));
        Assert.True(again.FromCache);
        Assert.Equal(afterFirst, _s3.Requests.Count); // the cache hit made no request at all
        Assert.True(afterFirst > before);
    }

    [Fact]
    public async Task GoodPinPassesBadPinFailsAndLeavesNoPartial()
    {
        string good = Payload.Sha256(_model);
        var ok = await ModelProvider.PullAsync($"s3://{S3rverServer.Bucket}/llama/tiny.gguf#sha256={good}", _s3.Options(_cache.Path));
        Assert.Equal(_model, await File.ReadAllBytesAsync(ok.Path));

        string bad = new('0', 64);
        using var other = new TempDirectory();
        var e = await Assert.ThrowsAsync<ModelDigestMismatchException>(() =>
            ModelProvider.PullAsync($"s3://{S3rverServer.Bucket}/llama/tiny.gguf#sha256={bad}", _s3.Options(other.Path)));
        Assert.Contains($"expected sha256 {bad}, got {good}", e.Message);
        Assert.Contains("s3://models/llama/tiny.gguf", e.Message);
        Assert.DoesNotContain(other.Files(), f => !f.EndsWith(".lock"));
    }

    [Fact]
    public async Task MissingObjectIsAClearError()
    {
        var e = await Assert.ThrowsAsync<ModelDownloadException>(() =>
            ModelProvider.PullAsync($"s3://{S3rverServer.Bucket}/nope.gguf", _s3.Options(_cache.Path)));
        Assert.StartsWith($"S3 GET s3://{S3rverServer.Bucket}/nope.gguf failed: 404 NotFound (no such object", e.Message);
        Assert.Equal(404, e.StatusCode);

        var bucket = await Assert.ThrowsAsync<ModelDownloadException>(() =>
            ModelProvider.PullAsync("s3://no-such-bucket/x.gguf", _s3.Options(_cache.Path)));
        Assert.Equal(404, bucket.StatusCode);
    }

    [Fact]
    public async Task EndpointComesFromTheEnvironmentWhenNotGiven()
    {
        // AWS_ENDPOINT_URL_S3 is how a deployment points the SDK at a non-AWS store; run in a child process so the
        // variable does not leak into other tests.
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["pull", $"s3://{S3rverServer.Bucket}/llama/tiny.gguf", "--cache-dir", _cache.Path, "--part-size", "1"],
            new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL_S3"] = _s3.ServiceUrl,
                ["AWS_ACCESS_KEY_ID"] = "S3RVER",
                ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
                ["AWS_REGION"] = "us-east-1",
            });
        Assert.True(exit == 0, stderr);
        Assert.Contains("pulled s3://models/llama/tiny.gguf: 5.01 MiB", stdout);
        Assert.Equal(_model, await File.ReadAllBytesAsync(Path.Combine(_cache.Path, "s3", "models", "llama", "tiny.gguf")));
    }
}
