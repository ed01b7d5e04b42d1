using Amazon.Runtime;

namespace Llambda.Provisioning;

/// <summary>How models are fetched and cached. Every property has a working default; environment variables fill the rest.</summary>
public sealed class ProvisioningOptions
{
    /// <summary>The cache root; default <see cref="ModelLocator.DefaultCacheDirectory"/> (<c>LLAMBDA_CACHE_DIR</c>, <c>/tmp/llambda</c> in Lambda, <c>~/.cache/llambda/models</c>).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>How many ranged GETs run at once. 8 fills a Lambda's network link; 1 means one stream.</summary>
    public int ParallelStreams { get; set; } = 8;

    /// <summary>Bytes per ranged GET. Small enough to spread over the streams and to retry cheaply, large enough that request overhead is noise.</summary>
    public long PartSize { get; set; } = 16L << 20;

    /// <summary>Retries per request on transient errors (5xx, throttling, dropped connections), with exponential backoff and jitter.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first retry's delay; it doubles each time (with jitter).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A request that sends nothing for this long is treated as dropped and retried from its last byte.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives progress about ten times a second, from one thread at a time.</summary>
    public IProgress<DownloadProgress>? Progress { get; set; }

    /// <summary>Receives one-line notes: waiting for another process's download, resuming, retrying.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>S3 endpoint override (S3-compatible stores, tests); default <c>AWS_ENDPOINT_URL_S3</c>, then <c>AWS_ENDPOINT_URL</c>.</summary>
    public string? S3ServiceUrl { get; set; }

    /// <summary>S3 region; default <c>AWS_REGION</c>, then <c>AWS_DEFAULT_REGION</c>, then us-east-1.</summary>
    public string? S3Region { get; set; }

    /// <summary>S3 credentials; default the SDK's chain (environment, profile, container and instance roles, Lambda's role).</summary>
    public AWSCredentials? S3Credentials { get; set; }

    /// <summary>Hugging Face base URL; default <c>HF_ENDPOINT</c>, then https://huggingface.co.</summary>
    public string? HuggingFaceEndpoint { get; set; }

    /// <summary>Hugging Face token sent as a bearer token; default <c>HF_TOKEN</c>.</summary>
    public string? HuggingFaceToken { get; set; }

    /// <summary>
    /// Compute the sha256 of downloads that are not pinned (a pinned one is always checked). On by default so the
    /// summary can print a digest to pin; turn it off where sha256 is the bottleneck (one core hashes about
    /// 250 MB/s without SHA extensions, slower than a parallel pull from S3 into a large Lambda).
    /// </summary>
    public bool ComputeDigest { get; set; } = true;

    /// <summary>Pretend the cache's disk has this many free bytes (tests of the disk-space check).</summary>
    public long? AvailableBytesOverride { get; set; }

    internal void Validate()
    {
        if (ParallelStreams is < 1 or > 256) throw new ArgumentException($"The number of parallel streams must be between 1 and 256, got {ParallelStreams}.");
        if (PartSize < 64 << 10) throw new ArgumentException($"The part size must be at least 64 KiB, got {PartSize} bytes.");
        if (MaxRetries < 0) throw new ArgumentException($"The retry count cannot be negative, got {MaxRetries}.");
    }
}
