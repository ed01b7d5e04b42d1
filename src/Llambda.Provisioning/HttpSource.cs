using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Llambda.Provisioning;

/// <summary>
/// A file behind an <c>https://</c> (or <c>http://</c>) URL, including Hugging Face's resolve URLs. Ranges come from
/// <c>Range: bytes=a-b</c> requests; a server that answers them with 200 instead of 206 gets one plain stream.
/// </summary>
public sealed class HttpSource : ModelSource
{
    // One client for the process: connections are pooled per host, and each parallel part gets its own HTTP/1.1
    // connection (HTTP/2 would multiplex every part over one TCP connection, which is what we are trying to avoid).
    private static readonly HttpClient s_client = new(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.None, // byte ranges are offsets into the file, not into a gzip stream
        MaxConnectionsPerServer = 256,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = true, // Hugging Face redirects to its CDN; the handler drops Authorization on the way
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the downloader times out stalled reads itself
        DefaultRequestHeaders = { { "User-Agent", "llambda" } },
    };

    private static readonly TimeSpan s_headersTimeout = TimeSpan.FromSeconds(30);

    private readonly Uri _url;
    private readonly string? _bearerToken;
    private readonly bool _isHuggingFace;

    public HttpSource(Uri url, string? bearerToken = null, bool isHuggingFace = false)
    {
        _url = url;
        _bearerToken = bearerToken;
        _isHuggingFace = isHuggingFace;
        // Query strings may hold signatures (presigned URLs): keep them out of messages and logs.
        Description = url.GetLeftPart(UriPartial.Path) + (url.Query.Length > 0 ? "?..." : "");
    }

    /// <summary>The source for <c>hf://org/repo/file[@revision]</c>: <c>HF_ENDPOINT</c> (or huggingface.co) and <c>HF_TOKEN</c>.</summary>
    public static HttpSource ForHuggingFace(ModelReference reference, ProvisioningOptions options)
    {
        string endpoint = options.HuggingFaceEndpoint ?? NonEmpty(Environment.GetEnvironmentVariable("HF_ENDPOINT")) ?? "https://huggingface.co";
        string? token = options.HuggingFaceToken ?? NonEmpty(Environment.GetEnvironmentVariable("HF_TOKEN"))
                        ?? NonEmpty(Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN"));
        return new HttpSource(reference.HuggingFaceUrl(endpoint), token, isHuggingFace: true);
    }

    public override string Description { get; }

    public override async Task<RemoteFileInfo> ProbeAsync(CancellationToken cancellationToken)
    {
        // A one-byte ranged GET rather than HEAD: it follows redirects the same way the parts will, proves that
        // ranges work (206 + Content-Range gives the size), and if the server ignores the range, its 200 body is
        // the whole file, which we keep instead of asking again.
        HttpResponseMessage response = await SendAsync(0, 0, cancellationToken).ConfigureAwait(false);
        try
        {
            string? etag = response.Headers.ETag?.ToString();
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.Length is long length)
            {
                response.Dispose();
                return new RemoteFileInfo(length, etag, SupportsRanges: true);
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) // an empty file has no byte 0
            {
                response.Dispose();
                return new RemoteFileInfo(0, etag, SupportsRanges: true);
            }
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new RemoteFileInfo(response.Content.Headers.ContentLength, etag, SupportsRanges: false, new OwningStream(body, response));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public override async Task<Stream> OpenRangeAsync(long offset, long length, RemoteFileInfo info, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await SendAsync(offset, offset + length - 1, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != offset)
        {
            response.Dispose();
            throw new ModelDownloadException($"{Description} stopped honoring byte ranges (asked for bytes {offset}-{offset + length - 1}, got {(int)response.StatusCode}).");
        }
        // A different ETag means the file was replaced mid-download: mixing old and new bytes would make garbage.
        string? etag = response.Headers.ETag?.ToString();
        if (info.ETag is not null && etag is not null && etag != info.ETag)
        {
            response.Dispose();
            throw new ModelDownloadException($"{Description} changed on the server during the download (ETag {info.ETag} became {etag}); run the pull again.")
            {
                DiscardPartial = true,
            };
        }
        return new OwningStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), response);
    }

    public override async Task<Stream> OpenAllAsync(CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await SendAsync(null, null, cancellationToken).ConfigureAwait(false);
        return new OwningStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), response);
    }

    /// <summary>Sends a GET (ranged when <paramref name="from"/> is set) and returns once headers arrive with a 2xx/416 status; errors are mapped to clear messages.</summary>
    private async Task<HttpResponseMessage> SendAsync(long? from, long? to, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _url);
        if (from is not null) request.Headers.Range = new RangeHeaderValue(from, to);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (_bearerToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearerToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_headersTimeout);
        HttpResponseMessage response;
        try
        {
            response = await s_client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelDownloadException($"GET {Description}: no answer within {s_headersTimeout.TotalSeconds:0} s.") { IsTransient = true };
        }
        catch (HttpRequestException e)
        {
            throw NetworkError(e);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) return response;
        var status = response.StatusCode;
        response.Dispose();
        throw StatusError(status);
    }

    private ModelDownloadException StatusError(HttpStatusCode status)
    {
        int code = (int)status;
        string hint = status switch
        {
            HttpStatusCode.Unauthorized when _isHuggingFace => _bearerToken is null
                ? "the repository needs a token: set HF_TOKEN"
                : "HF_TOKEN was refused: check that it is valid",
            HttpStatusCode.Unauthorized => "the server wants credentials",
            HttpStatusCode.Forbidden when _isHuggingFace => "the repository may be gated: accept its terms on huggingface.co and use an HF_TOKEN that has access",
            HttpStatusCode.Forbidden => "access denied (for a presigned URL: it may have expired)",
            HttpStatusCode.NotFound when _isHuggingFace => "check the repository, the file path and the revision",
            HttpStatusCode.NotFound => "check the URL",
            HttpStatusCode.TooManyRequests => "rate limited",
            _ when code >= 500 => "server error",
            _ => "unexpected answer",
        };
        bool transient = code >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
        return new ModelDownloadException($"GET {Description} failed: {code} {ReasonPhrase(status)} ({hint}).")
        {
            StatusCode = code,
            IsTransient = transient,
        };
    }

    private ModelDownloadException NetworkError(HttpRequestException e)
    {
        string what = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"cannot resolve host '{_url.Host}'",
            HttpRequestError.ConnectionError when e.InnerException is SocketException s => $"cannot connect to {_url.Authority} ({s.SocketErrorCode})",
            HttpRequestError.ConnectionError => $"cannot connect to {_url.Authority}",
            HttpRequestError.SecureConnectionError => $"TLS handshake with {_url.Host} failed",
            HttpRequestError.ResponseEnded => "the connection closed before the response was complete",
            _ => (e.InnerException?.Message ?? e.Message).TrimEnd('.'),
        };
        return new ModelDownloadException($"GET {Description} failed: {what}.", e) { IsTransient = true };
    }

    private static string ReasonPhrase(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.TooManyRequests => "Too Many Requests",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.BadGateway => "Bad Gateway",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        _ => status.ToString(),
    };

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
