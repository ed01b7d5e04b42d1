using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Llambda.Provisioning.Tests;

/// <summary>One request as the server saw it.</summary>
public sealed record ServedRequest(string Path, string? Range, int Status, long BytesSent);

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, a free port) serving in-memory files with byte ranges, plus faults the
/// tests switch on: drop the connection mid-body, corrupt a byte, answer a status, ignore ranges, go slowly, demand a
/// bearer token. It records every request so tests can count GETs and bytes.
/// </summary>
public sealed class RangeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new();
    private readonly ConcurrentQueue<ServedRequest> _requests = new();
    private int _dropsLeft;
    private int _statusesLeft;
    private int _inFlight;

    private RangeServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    // Faults, all off by default.
    public bool SupportsRanges { get; set; } = true;
    /// <summary>Bytes of the body sent before the connection is aborted, for the next <see cref="SetDrops"/> requests with longer bodies.</summary>
    public long DropAfterBytes { get; private set; }
    /// <summary>A file offset whose byte is served flipped.</summary>
    public long? CorruptOffset { get; set; }
    /// <summary>The status answered instead of the file, for the next <see cref="SetStatus"/> requests.</summary>
    public int FaultStatus { get; private set; }
    /// <summary>Sleep this long after each 64 KiB chunk (to make downloads overlap in time).</summary>
    public TimeSpan ChunkDelay { get; set; }
    /// <summary>When set, requests must carry <c>Authorization: Bearer {value}</c> or get 401.</summary>
    public string? RequiredBearer { get; set; }
    /// <summary>Sent as the ETag of every file.</summary>
    public string ETag { get; set; } = "\"v1\"";

    /// <summary>
    /// The requests served so far, once every request still in flight has been recorded (waiting up to 10 s): a client
    /// can hold a response's last byte before the handler has counted it.
    /// </summary>
    public IReadOnlyList<ServedRequest> Requests
    {
        get
        {
            SpinWait.SpinUntil(() => Volatile.Read(ref _inFlight) == 0, TimeSpan.FromSeconds(10));
            return [.. _requests];
        }
    }

    public static async Task<RangeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RangeServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/> and returns its URL.</summary>
    public string Add(string path, byte[] content)
    {
        _files["/" + path.TrimStart('/')] = content;
        return BaseUrl + "/" + path.TrimStart('/');
    }

    public void SetDrops(int requests, long afterBytes)
    {
        DropAfterBytes = afterBytes;
        Volatile.Write(ref _dropsLeft, requests);
    }

    public void SetStatus(int status, int requests = int.MaxValue)
    {
        FaultStatus = status;
        Volatile.Write(ref _statusesLeft, requests);
    }

    public void ClearRequests() => _requests.Clear();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await ServeAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        string? range = context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null;
        if (RequiredBearer is not null && context.Request.Headers.Authorization.ToString() != "Bearer " + RequiredBearer)
        {
            Record(path, range, 401, 0, context);
            return;
        }
        if (FaultStatus != 0 && Interlocked.Decrement(ref _statusesLeft) >= 0)
        {
            Record(path, range, FaultStatus, 0, context);
            return;
        }
        if (!_files.TryGetValue(path, out byte[]? file))
        {
            Record(path, range, 404, 0, context);
            return;
        }

        long start = 0, end = file.Length; // [start, end)
        context.Response.Headers.ETag = ETag;
        if (SupportsRanges)
        {
            context.Response.Headers.AcceptRanges = "bytes";
            if (range is not null && RangeHeaderValue.TryParse(range, out var parsed) && parsed.Ranges.Count == 1)
            {
                var item = parsed.Ranges.First();
                start = item.From ?? file.Length - item.To!.Value;
                end = Math.Min(file.Length, (item.To ?? file.Length - 1) + 1);
                if (start >= file.Length)
                {
                    context.Response.Headers.ContentRange = $"bytes */{file.Length}";
                    Record(path, range, 416, 0, context);
                    return;
                }
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes {start}-{end - 1}/{file.Length}";
            }
        }
        context.Response.ContentLength = end - start;

        bool drop = DropAfterBytes > 0 && end - start > DropAfterBytes && Interlocked.Decrement(ref _dropsLeft) >= 0;
        long limit = drop ? Math.Min(DropAfterBytes, end - start) : end - start;
        long sent = 0;
        var chunk = new byte[64 << 10];
        try
        {
            while (sent < limit)
            {
                int n = (int)Math.Min(chunk.Length, limit - sent);
                file.AsSpan((int)(start + sent), n).CopyTo(chunk);
                if (CorruptOffset is long bad && bad >= start + sent && bad < start + sent + n) chunk[bad - start - sent] ^= 0xFF;
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, n));
                sent += n;
                if (ChunkDelay > TimeSpan.Zero) await Task.Delay(ChunkDelay);
            }
            if (drop)
            {
                await context.Response.Body.FlushAsync();
                context.Abort(); // the client sees the connection reset mid-body
            }
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a canceled test); nothing to do.
        }
        finally
        {
            _requests.Enqueue(new ServedRequest(path, range, context.Response.StatusCode, sent));
        }
    }

    private void Record(string path, string? range, int status, long sent, HttpContext context)
    {
        context.Response.StatusCode = status;
        _requests.Enqueue(new ServedRequest(path, range, status, sent));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
