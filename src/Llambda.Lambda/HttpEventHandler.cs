using System.Text;
using Llambda.Lambda.Events;

namespace Llambda.Lambda;

/// <summary>
/// Answers Function URL, API Gateway and ALB events with the <c>llambda serve</c> routes (through
/// <see cref="LoopbackServer"/>). A Function URL's answer is streamed: the HTTP integration prelude (status,
/// headers, cookies) as soon as the server's headers arrive, then the body as the server writes it. API Gateway and
/// ALB cannot stream, so theirs is buffered into the JSON response their format asks for.
/// </summary>
/// <remarks>
/// Deadlines: the forwarded request carries the stop instant (<c>X-Llambda-Deadline-Ms</c>), and the server's routes
/// end their answer there with <c>finish_reason: "deadline"</c>, like a direct invoke. Only if the server is still
/// busy halfway between the stop instant and the function's deadline (a long prompt still in prefill, which is not
/// interrupted) is the request cancelled: a stream then ends where it is (the client keeps the tokens it has; no
/// <c>[DONE]</c>), and a buffered request is answered 504 with an OpenAI-style error whose code is <c>deadline</c>.
/// </remarks>
internal sealed class HttpEventHandler(LoopbackServer server)
{
    /// <summary>Forwards and buffers: for API Gateway, ALB and Function URLs in BUFFERED mode.</summary>
    public async Task<byte[]> RunBufferedAsync(HttpEvent request, DateTimeOffset? stopAt, DateTimeOffset? functionDeadline, CancellationToken cancellation)
    {
        using var deadline = Backstop(stopAt, functionDeadline, cancellation);
        HttpEventResponse answer;
        try
        {
            using HttpResponseMessage response = await server.SendAsync(request, stopAt, deadline.Token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            answer = new HttpEventResponse((int)response.StatusCode, LoopbackServer.Headers(response), body);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            answer = DeadlineResponse();
        }
        return answer.ToJsonUtf8(request);
    }

    /// <summary>Forwards and streams the answer through <paramref name="writer"/> (opened with the HTTP integration content type).</summary>
    public async Task RunStreamingAsync(HttpEvent request, DateTimeOffset? stopAt, DateTimeOffset? functionDeadline, StreamingResponseWriter writer, CancellationToken cancellation)
    {
        using var deadline = Backstop(stopAt, functionDeadline, cancellation);
        HttpResponseMessage response;
        try
        {
            response = await server.SendAsync(request, stopAt, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            HttpEventResponse late = DeadlineResponse();
            await writer.WriteHttpPreludeAsync(late.StatusCode, late.Headers, [], cancellation).ConfigureAwait(false);
            await writer.WriteAsync(late.Body, cancellation).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            var headers = LoopbackServer.Headers(response);
            var cookies = headers.Where(h => IsSetCookie(h.Key)).Select(h => h.Value).ToList();
            await writer.WriteHttpPreludeAsync((int)response.StatusCode, Join(headers.Where(h => !IsSetCookie(h.Key))), cookies, cancellation).ConfigureAwait(false);

            Stream body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            try
            {
                int n;
                // Each read returns what the server has flushed (an SSE event per token), and each goes out at once.
                while ((n = await body.ReadAsync(buffer, deadline.Token).ConfigureAwait(false)) > 0)
                    await writer.WriteAsync(buffer.AsMemory(0, n), cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                Console.Error.WriteLine($"llambda: the deadline came during {request.Method} {request.Path}; the stream ends with what was generated.");
            }
        }
    }

    /// <summary>Cancels the forwarded request halfway between the stop instant and the function's deadline.</summary>
    private static CancellationTokenSource Backstop(DateTimeOffset? stopAt, DateTimeOffset? functionDeadline, CancellationToken cancellation)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (stopAt is { } at)
        {
            DateTimeOffset cancelAt = functionDeadline is { } end && end > at ? at + (end - at) / 2 : at;
            source.CancelAfter(Max(cancelAt - DateTimeOffset.UtcNow, TimeSpan.Zero));
        }
        return source;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static bool IsSetCookie(string name) => string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase);

    /// <summary>The prelude's headers are a JSON object: repeated names are joined as HTTP allows.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Join(IEnumerable<KeyValuePair<string, string>> headers) =>
        headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(g => new KeyValuePair<string, string>(g.Key, string.Join(", ", g.Select(h => h.Value))));

    private static HttpEventResponse DeadlineResponse() => new(504,
        [new("Content-Type", "application/json")],
        Encoding.UTF8.GetBytes("{\"error\":{\"message\":\"The function's deadline came before the response was ready; raise the function timeout or ask for fewer tokens.\",\"type\":\"server_error\",\"param\":null,\"code\":\"deadline\"}}"));
}
