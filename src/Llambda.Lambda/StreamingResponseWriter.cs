using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Llambda.Lambda;

/// <summary>
/// A streamed response to the Runtime API, written as HTTP/1.1 on a socket of its own:
/// <code>
/// POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1
/// Lambda-Runtime-Function-Response-Mode: streaming
/// Transfer-Encoding: chunked
/// Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body
/// </code>
/// Each <see cref="WriteAsync"/> sends one chunk and flushes it, so a token leaves the process when it is made.
/// A failure after the body has started cannot change the status any more; the document's way to report it is the
/// two trailers after the last chunk (<see cref="FailAsync"/>), which is why this is not an <see cref="HttpClient"/> call.
/// </summary>
public sealed class StreamingResponseWriter : IAsyncDisposable
{
    /// <summary>The content type that makes a Function URL read a JSON prelude (status, headers, cookies) before the body.</summary>
    public const string HttpIntegrationContentType = "application/vnd.awslambda.http-integration-response";

    /// <summary>The prelude ends with this many NUL bytes; the HTTP body follows.</summary>
    public const int PreludeDelimiterLength = 8;

    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private bool _finished;

    private StreamingResponseWriter(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Body bytes sent so far (a Function URL streams at most 200 MB).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Connects to the Runtime API at <paramref name="endpoint"/> (<c>host:port</c>) and sends the request head.</summary>
    public static async Task<StreamingResponseWriter> OpenAsync(string endpoint, string path, string contentType, CancellationToken cancellation = default)
    {
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new ArgumentException($"The Runtime API endpoint must be host:port, got '{endpoint}'.");
        string host = endpoint[..colon].Trim('[', ']');

        // No Nagle: a token is a few bytes, and waiting to fill a segment is exactly the latency streaming removes.
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellation).ConfigureAwait(false);
            var writer = new StreamingResponseWriter(tcp);
            string head =
                $"POST {path} HTTP/1.1\r\n" +
                $"Host: {endpoint}\r\n" +
                $"{RuntimeApiClient.ResponseModeHeader}: streaming\r\n" +
                $"Content-Type: {contentType}\r\n" +
                "Transfer-Encoding: chunked\r\n" +
                $"Trailer: {RuntimeApiClient.ErrorTypeHeader}, {RuntimeApiClient.ErrorBodyHeader}\r\n" +
                // One request per connection: reading the answer then needs no keep-alive bookkeeping.
                "Connection: close\r\n" +
                "\r\n";
            await writer._stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellation).ConfigureAwait(false);
            await writer._stream.FlushAsync(cancellation).ConfigureAwait(false);
            return writer;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="data"/> as one chunk and flushes it. Empty data is skipped (an empty chunk would end the body).</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (data.IsEmpty) return;
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellation).ConfigureAwait(false);
        await _stream.WriteAsync(data, cancellation).ConfigureAwait(false);
        await _stream.WriteAsync(s_crlf, cancellation).ConfigureAwait(false);
        await _stream.FlushAsync(cancellation).ConfigureAwait(false);
        BytesWritten += data.Length;
    }

    public ValueTask WriteAsync(string text, CancellationToken cancellation = default) => WriteAsync(Encoding.UTF8.GetBytes(text), cancellation);

    /// <summary>
    /// Writes the HTTP integration prelude a Function URL reads before the body: <c>{"statusCode", "headers",
    /// "cookies"}</c> then eight NUL bytes. Only for a response opened with <see cref="HttpIntegrationContentType"/>.
    /// </summary>
    public ValueTask WriteHttpPreludeAsync(int statusCode, IEnumerable<KeyValuePair<string, string>> headers, IReadOnlyList<string> cookies, CancellationToken cancellation = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("statusCode", statusCode);
            json.WriteStartObject("headers");
            foreach (var (name, value) in headers) json.WriteString(name, value);
            json.WriteEndObject();
            json.WriteStartArray("cookies");
            foreach (string cookie in cookies) json.WriteStringValue(cookie);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.Write(new byte[PreludeDelimiterLength]);
        return WriteAsync(buffer.WrittenMemory, cancellation);
    }

    /// <summary>Ends the body normally and waits for the Runtime API's 202.</summary>
    public Task CompleteAsync(CancellationToken cancellation = default) => FinishAsync("0\r\n\r\n", cancellation);

    /// <summary>
    /// Ends the body with the error trailers: <c>Lambda-Runtime-Function-Error-Type</c> and
    /// <c>Lambda-Runtime-Function-Error-Body</c> (the error JSON, base64 so it fits a header line).
    /// </summary>
    public Task FailAsync(RuntimeError error, CancellationToken cancellation = default) => FinishAsync(
        "0\r\n" +
        $"{RuntimeApiClient.ErrorTypeHeader}: {HeaderSafe(error.ErrorType)}\r\n" +
        $"{RuntimeApiClient.ErrorBodyHeader}: {Convert.ToBase64String(error.ToJsonUtf8())}\r\n" +
        "\r\n", cancellation);

    private static string HeaderSafe(string value) => new(value.Select(c => c is < ' ' or > '~' ? '_' : c).ToArray());

    private async Task FinishAsync(string last, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(last), cancellation).ConfigureAwait(false);
        await _stream.FlushAsync(cancellation).ConfigureAwait(false);
        var (status, body) = await ReadResponseAsync(cancellation).ConfigureAwait(false);
        if (status != 202)
            throw new RuntimeApiException(status, $"streamed response: the Runtime API answered {status}: {body}");
    }

    /// <summary>Reads the status line and, since we asked for <c>Connection: close</c>, the body to the end.</summary>
    private async Task<(int Status, string Body)> ReadResponseAsync(CancellationToken cancellation)
    {
        using var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await _stream.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
        {
            all.Write(buffer, 0, n);
            if (all.Length > 1 << 20) break; // an answer is a status and a short JSON body; never buffer without bound
        }
        string text = Encoding.UTF8.GetString(all.GetBuffer(), 0, (int)all.Length);
        // "HTTP/1.1 202 Accepted"
        string[] statusLine = text.Split("\r\n", 2)[0].Split(' ', 3);
        if (statusLine.Length < 2 || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
            throw new RuntimeApiException(0, $"streamed response: the Runtime API's answer is not HTTP: '{text[..Math.Min(text.Length, 80)]}'");
        int bodyAt = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyAt < 0 ? "" : text[(bodyAt + 4)..]);
    }

    public ValueTask DisposeAsync()
    {
        _finished = true;
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
