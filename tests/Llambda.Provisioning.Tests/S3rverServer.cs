using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Llambda.Provisioning.Tests;

/// <summary>
/// A real S3-compatible server: <c>@20minutes/s3rver</c> from npm (installed into tests/servers by .ci/run), started
/// on a free port over a temporary directory, with one bucket. Our launcher script prints one line per request, so
/// tests can count what the AWS SDK sent.
/// </summary>
public sealed class S3rverServer : IAsyncDisposable
{
    public const string Bucket = "models";

    private readonly Process _process;
    private readonly string _dataDir;
    private readonly ConcurrentQueue<string> _requests = new();

    private S3rverServer(Process process, string dataDir)
    {
        _process = process;
        _dataDir = dataDir;
    }

    public string ServiceUrl { get; private set; } = "";

    /// <summary>s3rver accepts any well-formed signature made with these.</summary>
    public static AWSCredentials Credentials { get; } = new BasicAWSCredentials("S3RVER", "S3RVER");

    /// <summary>Request lines: "GET /models/key bytes=0-99", "HEAD /models/key -", ...</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public static async Task<S3rverServer> StartAsync()
    {
        string servers = Path.Combine(RepositoryRoot(), "tests", "servers");
        if (!Directory.Exists(Path.Combine(servers, "node_modules", "@20minutes", "s3rver")))
            throw new InvalidOperationException($"s3rver is not installed: run `npm ci` in {servers} (.ci/run does).");
        string dataDir = Directory.CreateTempSubdirectory("llambda-s3rver-").FullName;
        var start = new ProcessStartInfo("node", ["s3rver.js", dataDir, Bucket])
        {
            WorkingDirectory = servers,
            RedirectStandardInput = true, // the launcher exits when our end of stdin closes
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var server = new S3rverServer(process, dataDir);
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal)) listening.TrySetResult(int.Parse(e.Data[10..]));
            else if (e.Data.StartsWith("REQUEST ", StringComparison.Ordinal)) server._requests.Enqueue(e.Data[8..]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("s3rver exited: " + string.Join('\n', errors)));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        server.ServiceUrl = $"http://127.0.0.1:{port}";
        return server;
    }

    public AmazonS3Client CreateClient() => new(Credentials, new AmazonS3Config
    {
        ServiceURL = ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        // s3rver predates flexible checksums: send plain bodies, not aws-chunked ones with trailing CRCs.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async Task PutAsync(string key, byte[] content)
    {
        using var client = CreateClient();
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = new MemoryStream(content),
            UseChunkEncoding = false,
        });
    }

    public ProvisioningOptions Options(string cacheDir) => new()
    {
        CacheDirectory = cacheDir,
        S3ServiceUrl = ServiceUrl,
        S3Region = "us-east-1",
        S3Credentials = Credentials,
        ParallelStreams = 4,
        PartSize = 1 << 20,
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Llambda.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Could not find the repository root (Llambda.slnx) above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(3000)) _process.Kill();
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
