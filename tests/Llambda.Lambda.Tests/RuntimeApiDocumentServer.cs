using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Llambda.Lambda.Tests;

/// <summary>
/// A Lambda Runtime API written from the published Runtime API document, for what @vercel/fun does not implement:
/// real deadlines, trace and client-context headers, streamed responses (<c>Lambda-Runtime-Function-Response-Mode:
/// streaming</c>, chunked bodies, the error trailers). It records every header, read (with its arrival time), the
/// body's chunked framing as it came over the wire (one frame per flush of the sender, whatever the timing), and
/// trailer so tests can check them, and answers with the document's status codes: 200 for <c>next</c>, 202 for an
/// accepted response or error, 400 for an unknown request id, 404 for an unknown path.
/// </summary>
public sealed class RuntimeApiDocumentServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _open = new();
    private readonly TaskCompletionSource<RecordedResult> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, WireLog> _wire;
    private int _nextCalls;

    private RuntimeApiDocumentServer(WebApplication app, ConcurrentDictionary<string, WireLog> wire) => (_app, _wire) = (app, wire);

    /// <summary><c>host:port</c>, as AWS_LAMBDA_RUNTIME_API holds it.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Completes when the runtime posts <c>/runtime/init/error</c>.</summary>
    public Task<RecordedResult> InitError => _initError.Task;

    /// <summary>How many times the runtime has asked for an event (the first call ends its init phase).</summary>
    public int NextCalls => Volatile.Read(ref _nextCalls);

    /// <summary>When the runtime first asked for an event.</summary>
    public DateTimeOffset? FirstNextAt { get; private set; }

    /// <summary>
    /// How long the server holds its 202 after recording an invocation's answer (the answer is visible to the test at
    /// once), to catch the runtime in the middle of posting it.
    /// </summary>
    public TimeSpan AcceptDelay { get; set; }

    public static async Task<RuntimeApiDocumentServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var wire = new ConcurrentDictionary<string, WireLog>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Every connection's inbound bytes are kept as they came, so a body's chunk frames can be counted:
            // reads coalesce when the reader falls behind, frames do not.
            k.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
            {
                var log = wire[connection.ConnectionId] = new WireLog();
                connection.Transport = new TeeTransport(connection.Transport, log);
                return next(connection);
            }));
            // A streamed answer trickles token by token; Kestrel must not call that too slow.
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var server = new RuntimeApiDocumentServer(app, wire);
        app.MapGet("/2018-06-01/runtime/invocation/next", server.NextAsync);
        app.MapPost("/2018-06-01/runtime/invocation/{id}/response", (HttpContext c, string id) => server.RecordAsync(c, id, "response"));
        app.MapPost("/2018-06-01/runtime/invocation/{id}/error", (HttpContext c, string id) => server.RecordAsync(c, id, "error"));
        app.MapPost("/2018-06-01/runtime/init/error", (HttpContext c) => server.RecordAsync(c, null, "init-error"));
        await app.StartAsync();
        server.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
        return server;
    }

    /// <summary>Queues an event; the task completes when the runtime has answered it (response or error).</summary>
    public Task<RecordedResult> InvokeAsync(string payload, TimeSpan? timeout = null, string? traceId = null, string? clientContext = null, string? cognitoIdentity = null, string? requestId = null)
    {
        var pending = new Pending
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(),
            Payload = payload,
            Deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60)),
            TraceId = traceId,
            ClientContext = clientContext,
            CognitoIdentity = cognitoIdentity,
        };
        _open[pending.RequestId] = pending;
        _queue.Writer.TryWrite(pending);
        return pending.Result.Task;
    }

    private async Task NextAsync(HttpContext context)
    {
        if (Interlocked.Increment(ref _nextCalls) == 1) FirstNextAt = DateTimeOffset.UtcNow;
        Pending pending;
        try
        {
            pending = await _queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = pending.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = pending.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:llambda-test";
        if (pending.TraceId is not null) headers["Lambda-Runtime-Trace-Id"] = pending.TraceId;
        if (pending.ClientContext is not null) headers["Lambda-Runtime-Client-Context"] = pending.ClientContext;
        if (pending.CognitoIdentity is not null) headers["Lambda-Runtime-Cognito-Identity"] = pending.CognitoIdentity;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(pending.Payload);
    }

    private async Task RecordAsync(HttpContext context, string? requestId, string kind)
    {
        Pending? pending = null;
        if (requestId is not null && !_open.TryRemove(requestId, out pending))
        {
            // The document: 400 Bad Request for a request id that is unknown or already answered.
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { errorMessage = $"Invalid request ID: {requestId}", errorType = "InvalidRequestID" });
            return;
        }

        var clock = Stopwatch.StartNew();
        var chunks = new List<RecordedChunk>();
        var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
        {
            chunks.Add(new RecordedChunk(clock.Elapsed, buffer.AsSpan(0, n).ToArray()));
            body.Write(buffer, 0, n);
        }
        var trailers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (context.Request.SupportsTrailers() && context.Request.CheckTrailersAvailable())
        {
            foreach (string name in new[] { "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body" })
                if (context.Request.GetTrailer(name) is { Count: > 0 } value) trailers[name] = value.ToString();
        }
        int frames = _wire.TryGetValue(context.Connection.Id, out var log) ? log.CountChunkFrames(context.Request.Path.Value!) : 0;
        var result = new RecordedResult(
            kind, requestId, context.Request.Method, context.Request.Path,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray(), chunks, frames, trailers, DateTimeOffset.UtcNow, pending?.Deadline);

        if (AcceptDelay > TimeSpan.Zero)
        {
            if (pending is not null) pending.Result.TrySetResult(result);
            try
            {
                await Task.Delay(AcceptDelay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the runtime gave up on the request
            }
        }
        // The document: 202 Accepted, then the runtime asks for the next event.
        context.Response.StatusCode = 202;
        await context.Response.WriteAsJsonAsync(new { status = "OK" });
        if (pending is not null) pending.Result.TrySetResult(result);
        else _initError.TrySetResult(result);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Pending
    {
        public required string RequestId { get; init; }
        public required string Payload { get; init; }
        public required DateTimeOffset Deadline { get; init; }
        public string? TraceId { get; init; }
        public string? ClientContext { get; init; }
        public string? CognitoIdentity { get; init; }
        public TaskCompletionSource<RecordedResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

public sealed record RecordedChunk(TimeSpan At, byte[] Bytes);

/// <summary>
/// What the runtime posted: path, headers, body, the body's pieces as they were read (<see cref="Chunks"/>, which
/// merge when the sender outpaces the reader), the number of chunked-encoding frames on the wire
/// (<see cref="ChunkFrames"/>: one per flush of the sender, 0 for a body with a Content-Length), and trailers.
/// </summary>
public sealed record RecordedResult(
    string Kind, string? RequestId, string Method, string Path,
    IReadOnlyDictionary<string, string> Headers, byte[] Body, IReadOnlyList<RecordedChunk> Chunks, int ChunkFrames,
    IReadOnlyDictionary<string, string> Trailers, DateTimeOffset CompletedAt, DateTimeOffset? Deadline)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>The bytes a connection received, in order.</summary>
internal sealed class WireLog
{
    private readonly MemoryStream _bytes = new();

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_bytes) _bytes.Write(data);
    }

    /// <summary>
    /// Counts the data frames of the last request to <paramref name="path"/> on this connection (its body has been
    /// read to the end, so all of it is here): after the blank line that ends the head, each frame is a hex size
    /// line, that many bytes and CRLF, up to the zero-size frame.
    /// </summary>
    public int CountChunkFrames(string path)
    {
        byte[] all;
        lock (_bytes) all = _bytes.ToArray();
        ReadOnlySpan<byte> wire = all;
        int start = wire.LastIndexOf(Encoding.ASCII.GetBytes(" " + path + " HTTP/"));
        if (start < 0) return 0;
        wire = wire[start..];
        int headEnd = wire.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0 || !Encoding.ASCII.GetString(wire[..headEnd]).Contains("chunked", StringComparison.OrdinalIgnoreCase)) return 0;
        wire = wire[(headEnd + 4)..];
        int frames = 0;
        while (true)
        {
            int lineEnd = wire.IndexOf("\r\n"u8);
            if (lineEnd < 0) return frames;
            string sizeText = Encoding.ASCII.GetString(wire[..lineEnd]).Split(';')[0].Trim();
            int size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) return frames;
            frames++;
            wire = wire[(lineEnd + 2 + size + 2)..];
        }
    }
}

/// <summary>A connection's transport whose input is copied into a <see cref="WireLog"/> as Kestrel reads it.</summary>
internal sealed class TeeTransport(IDuplexPipe inner, WireLog log) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(new TeeStream(inner.Input.AsStream(), log));
    public PipeWriter Output => inner.Output;

    private sealed class TeeStream(Stream source, WireLog log) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await source.ReadAsync(buffer, cancellationToken);
            log.Append(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = source.Read(buffer, offset, count);
            log.Append(buffer.AsSpan(offset, n));
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
