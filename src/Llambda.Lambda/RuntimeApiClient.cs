using System.Net;
using System.Net.Http.Headers;

namespace Llambda.Lambda;

/// <summary>
/// The Lambda Runtime API (version 2018-06-01), written from its published document: the function process asks
/// <c>GET /runtime/invocation/next</c> for an event, then posts exactly one of <c>/invocation/{id}/response</c> or
/// <c>/invocation/{id}/error</c>; a process that cannot start posts <c>/runtime/init/error</c> and exits.
/// The endpoint (<c>host:port</c>) comes from <c>AWS_LAMBDA_RUNTIME_API</c>.
/// </summary>
/// <remarks>
/// Buffered answers go through <see cref="HttpClient"/>. Streamed answers need HTTP trailers to report a failure
/// after the body has started, which <see cref="HttpClient"/> cannot send, so <see cref="StartStreamingResponseAsync"/>
/// writes HTTP/1.1 on its own socket (<see cref="StreamingResponseWriter"/>).
/// </remarks>
public sealed class RuntimeApiClient : IDisposable
{
    public const string ApiVersion = "2018-06-01";

    // Header names from the document.
    public const string RequestIdHeader = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineHeader = "Lambda-Runtime-Deadline-Ms";
    public const string FunctionArnHeader = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceIdHeader = "Lambda-Runtime-Trace-Id";
    public const string ClientContextHeader = "Lambda-Runtime-Client-Context";
    public const string CognitoIdentityHeader = "Lambda-Runtime-Cognito-Identity";
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    public const string ErrorBodyHeader = "Lambda-Runtime-Function-Error-Body";
    public const string ResponseModeHeader = "Lambda-Runtime-Function-Response-Mode";

    /// <summary>The environment variable the runtime exposes the trace id through (X-Ray SDKs read it).</summary>
    public const string TraceIdEnvironmentVariable = "_X_AMZN_TRACE_ID";

    private readonly HttpClient _http;

    public RuntimeApiClient(string endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        Endpoint = endpoint.Trim();
        if (Endpoint.Contains("://", StringComparison.Ordinal))
            throw new ArgumentException($"AWS_LAMBDA_RUNTIME_API is host:port, not a URL; got '{endpoint}'.");
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Lambda freezes the process between invocations; a pooled connection may be dead when it thaws.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        })
        {
            BaseAddress = new Uri($"http://{Endpoint}/{ApiVersion}/runtime/"),
            // `next` blocks until an event arrives, which may be hours on a quiet function.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The <c>host:port</c> of the Runtime API.</summary>
    public string Endpoint { get; }

    /// <summary>Waits for the next event. Also sets <c>_X_AMZN_TRACE_ID</c> from the invocation's trace id, as the document asks.</summary>
    public async Task<Invocation> NextAsync(CancellationToken cancellation = default)
    {
        using HttpResponseMessage response = await _http.GetAsync("invocation/next", HttpCompletionOption.ResponseContentRead, cancellation).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.OK, "invocation/next", cancellation).ConfigureAwait(false);
        string requestId = Header(response, RequestIdHeader)
            ?? throw new RuntimeApiException(200, $"invocation/next answered without a {RequestIdHeader} header.");
        var invocation = new Invocation
        {
            RequestId = requestId,
            Deadline = Invocation.ParseDeadline(Header(response, DeadlineHeader)),
            FunctionArn = Header(response, FunctionArnHeader),
            TraceId = Header(response, TraceIdHeader),
            ClientContext = Header(response, ClientContextHeader),
            CognitoIdentity = Header(response, CognitoIdentityHeader),
            Payload = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false),
        };
        // Set or cleared for every invocation, so one event's trace never leaks into the next.
        Environment.SetEnvironmentVariable(TraceIdEnvironmentVariable, invocation.TraceId);
        return invocation;
    }

    /// <summary>Posts the whole answer at once (the buffered mode; Lambda caps it at 6 MB).</summary>
    public async Task SendResponseAsync(string requestId, ReadOnlyMemory<byte> body, string contentType = "application/json", CancellationToken cancellation = default)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        string path = $"invocation/{Uri.EscapeDataString(requestId)}/response";
        using HttpResponseMessage response = await _http.PostAsync(path, content, cancellation).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.Accepted, path, cancellation).ConfigureAwait(false);
    }

    /// <summary>Reports that this invocation failed in a way the function handled (a bad request, a model error).</summary>
    public Task SendErrorAsync(string requestId, RuntimeError error, CancellationToken cancellation = default) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", error, cancellation);

    /// <summary>Reports that the function cannot start; the caller should exit afterwards (Lambda starts a new process).</summary>
    public Task SendInitErrorAsync(RuntimeError error, CancellationToken cancellation = default) =>
        PostErrorAsync("init/error", error, cancellation);

    private async Task PostErrorAsync(string path, RuntimeError error, CancellationToken cancellation)
    {
        using var content = new ByteArrayContent(error.ToJsonUtf8());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation(ErrorTypeHeader, error.ErrorType);
        using HttpResponseMessage response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.Accepted, path, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a streamed response for <paramref name="requestId"/>: bytes written to the returned writer reach the
    /// caller as they are flushed. Finish with <see cref="StreamingResponseWriter.CompleteAsync"/> or, after a
    /// failure, <see cref="StreamingResponseWriter.FailAsync"/>.
    /// </summary>
    public Task<StreamingResponseWriter> StartStreamingResponseAsync(string requestId, string contentType, CancellationToken cancellation = default) =>
        StreamingResponseWriter.OpenAsync(Endpoint, $"/{ApiVersion}/runtime/invocation/{Uri.EscapeDataString(requestId)}/response", contentType, cancellation);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string path, CancellationToken cancellation)
    {
        if (response.StatusCode == expected) return;
        string body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        throw new RuntimeApiException((int)response.StatusCode, $"{path}: the Runtime API answered {(int)response.StatusCode}: {Truncate(body, 500)}");
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "…";

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// The Runtime API refused a call. The document's codes: 400 (bad request), 403 (forbidden), 413 (payload too large)
/// and 500 (the container is in a state the runtime cannot recover from: it should exit).
/// </summary>
public sealed class RuntimeApiException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>True for 500: the document says the runtime must exit.</summary>
    public bool IsFatal => StatusCode >= 500;
}
