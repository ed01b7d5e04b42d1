using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Llambda.Provisioning;

/// <summary>
/// An object in S3 (or an S3-compatible store) read through the AWS SDK: a HEAD for size and ETag, then ranged
/// <c>GetObject</c> calls in parallel. Credentials come from the SDK's chain (environment, profile, container or
/// instance role, and inside Lambda the function's role) unless the options give some.
/// </summary>
public sealed class S3Source : ModelSource
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _key;
    private readonly string _region;

    public S3Source(string bucket, string key, ProvisioningOptions options)
    {
        _bucket = bucket;
        _key = key;
        Description = $"s3://{bucket}/{key}";
        _region = options.S3Region ?? Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION") ?? "us-east-1";
        var config = new AmazonS3Config
        {
            RegionEndpoint = RegionEndpoint.GetBySystemName(_region),
            // We verify sha256 ourselves; the SDK's CRC checks cannot cover a ranged GET anyway.
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // Our retry pipeline resumes a part from its last byte; keep the SDK's own retries short so the two do not multiply.
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(30),
        };
        string? endpoint = options.S3ServiceUrl ?? Env("AWS_ENDPOINT_URL_S3") ?? Env("AWS_ENDPOINT_URL");
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = _region;
            // S3-compatible servers (MinIO, s3rver, LocalStack) rarely have DNS for bucket.host: address buckets by path.
            config.ForcePathStyle = true;
        }
        _client = options.S3Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    public override string Description { get; }

    public override async Task<RemoteFileInfo> ProbeAsync(CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse head = await CallAsync(
            () => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = _key }, cancellationToken)).ConfigureAwait(false);
        return new RemoteFileInfo(head.ContentLength, head.ETag, SupportsRanges: true);
    }

    public override async Task<Stream> OpenRangeAsync(long offset, long length, RemoteFileInfo info, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest
        {
            BucketName = _bucket,
            Key = _key,
            ByteRange = new ByteRange(offset, offset + length - 1),
            // If the object is replaced mid-download S3 answers 412 instead of handing us bytes of another version.
            EtagToMatch = info.ETag,
        };
        GetObjectResponse response = await CallAsync(() => _client.GetObjectAsync(request, cancellationToken)).ConfigureAwait(false);
        return new OwningStream(response.ResponseStream, response);
    }

    public override async Task<Stream> OpenAllAsync(CancellationToken cancellationToken)
    {
        GetObjectResponse response = await CallAsync(
            () => _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = _key }, cancellationToken)).ConfigureAwait(false);
        return new OwningStream(response.ResponseStream, response);
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    /// <summary>Runs an SDK call, turning its exceptions into messages that name the object, the status and the fix.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            int code = (int)e.StatusCode;
            string hint = e.StatusCode switch
            {
                HttpStatusCode.NotFound => $"no such object: check the bucket and key ({e.ErrorCode ?? "NotFound"})",
                HttpStatusCode.Forbidden => "access denied: the credentials in use need s3:GetObject on it (without s3:ListBucket, " +
                                            "S3 also says 403 for a key that does not exist)",
                HttpStatusCode.MovedPermanently or HttpStatusCode.BadRequest when e.ErrorCode is "PermanentRedirect" or "AuthorizationHeaderMalformed" =>
                    $"the bucket is in another region than {_region}: set AWS_REGION",
                HttpStatusCode.PreconditionFailed => "the object changed during the download; run the pull again",
                _ => e.ErrorCode ?? e.Message,
            };
            bool transient = code >= 500 || e.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
                             || e.ErrorCode is "SlowDown" or "RequestTimeout";
            throw new ModelDownloadException($"S3 GET {Description} failed: {code} {e.StatusCode} ({hint}).", e)
            {
                StatusCode = code,
                IsTransient = transient,
                DiscardPartial = e.StatusCode == HttpStatusCode.PreconditionFailed,
            };
        }
        catch (AmazonClientException e) when (e.InnerException is HttpRequestException or IOException or TaskCanceledException || e.Message.Contains("connect", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelDownloadException($"S3 GET {Description} failed: {e.InnerException?.Message ?? e.Message}", e) { IsTransient = true };
        }
        catch (AmazonClientException e)
        {
            // Typically no credentials at all: say where the SDK looks.
            throw new ModelDownloadException($"S3 GET {Description} failed: {e.Message} (credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
                                             "AWS_PROFILE, or the container, instance or Lambda role).", e);
        }
        catch (HttpRequestException e)
        {
            throw new ModelDownloadException($"S3 GET {Description} failed: {e.Message}", e) { IsTransient = true };
        }
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
