using System.Diagnostics;
using System.Text.Json;
using Llambda.Inference;
using Llambda.Lambda.Events;
using Llambda.Server;
using Microsoft.Extensions.Logging;

namespace Llambda.Lambda;

/// <summary>
/// The custom runtime: <c>llambda lambda</c> (started by the package's <c>bootstrap</c>) runs this.
/// <list type="number">
/// <item>Init: start the in-process server and load the model. A model that fails to load is reported with
/// <c>/runtime/init/error</c>. One still loading after <see cref="LambdaOptions.InitBudget"/> keeps loading in the
/// background and the first invocation waits for it: Lambda's init phase is capped at 10 s, an invocation is not.</item>
/// <item>Loop: <c>next</c> → tell the event's kind → answer → <c>next</c>... until the process is stopped.</item>
/// </list>
/// </summary>
public sealed class LambdaHost
{
    private readonly RuntimeApiClient _api;
    private readonly LoopbackServer _server;
    private readonly LambdaOptions _options;
    private readonly TextWriter _log;

    private LambdaHost(RuntimeApiClient api, LoopbackServer server, LambdaOptions options, TextWriter log)
    {
        _api = api;
        _server = server;
        _options = options;
        _log = log;
    }

    /// <summary>Runs the runtime until <paramref name="cancellation"/> fires; returns the process exit code.</summary>
    /// <param name="loader">Loads the model (tests pass their own); default: fetch <see cref="LambdaOptions.Model"/> and load it.</param>
    public static async Task<int> RunAsync(LambdaOptions options, Func<LoadedModel>? loader = null, TextWriter? log = null, CancellationToken cancellation = default)
    {
        log ??= Console.Error;
        var clock = Stopwatch.StartNew();
        using var api = new RuntimeApiClient(options.RuntimeApi);

        LoopbackServer server;
        try
        {
            server = await LoopbackServer.StartAsync(options, loader, QuietLogging).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.WriteLine($"llambda: init failed: {e}");
            await api.SendInitErrorAsync(RuntimeError.Internal(e), cancellation).ConfigureAwait(false);
            return 1;
        }

        await using (server.ConfigureAwait(false))
        {
            await Task.WhenAny(server.Host.WhenSettled, Task.Delay(options.InitBudget, cancellation)).ConfigureAwait(false);
            switch (server.Host.State)
            {
                case ModelState.Failed:
                    log.WriteLine($"llambda: the model failed to load: {server.Host.Error}");
                    await api.SendInitErrorAsync(RuntimeError.ModelLoadFailed(server.Host.Error ?? "unknown error"), cancellation).ConfigureAwait(false);
                    return 1;
                case ModelState.Loading:
                    log.WriteLine($"llambda: the model is still loading after {clock.Elapsed.TotalSeconds:F1} s; init ends now and the first invocation waits for it.");
                    break;
                default:
                    log.WriteLine($"llambda: ready in {clock.Elapsed.TotalMilliseconds:F0} ms (model {server.Host.ModelId}, in-process server {server.BaseAddress})");
                    break;
            }

            var host = new LambdaHost(api, server, options, log);
            while (!cancellation.IsCancellationRequested)
            {
                Invocation invocation;
                try
                {
                    invocation = await api.NextAsync(cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    break;
                }
                try
                {
                    if (!await host.HandleAsync(invocation, cancellation).ConfigureAwait(false)) return 1;
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    break; // shut down while an answer was still being posted: a clean stop, like one between events
                }
            }
        }
        return 0;
    }

    // Per-request framework logs would fill CloudWatch; the model's own load and errors still show.
    private static void QuietLogging(ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
    }

    /// <summary>Answers one invocation. False when the process should exit (Lambda then starts a fresh one).</summary>
    private async Task<bool> HandleAsync(Invocation invocation, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        DateTimeOffset? stopAt = _options.Deadline.StopAt(invocation);
        EventKind kind = EventKind.Direct;
        StreamingResponseWriter? stream = null;
        bool keepRunning = true;
        try
        {
            using JsonDocument document = ParseEvent(invocation.Payload);
            kind = EventClassifier.Classify(document.RootElement);
            switch (kind)
            {
                case EventKind.WarmUp:
                    // Answered at once: a warm-up keeps the instance alive, it must not cost a generation.
                    await _api.SendResponseAsync(invocation.RequestId, WarmUpAnswer(), cancellation: cancellation).ConfigureAwait(false);
                    break;

                case EventKind.Direct:
                {
                    var request = DirectInvokeRequest.Parse(document.RootElement);
                    ReadyModel ready = await WaitForModelAsync(stopAt, cancellation).ConfigureAwait(false);
                    var handler = new DirectInvokeHandler(ready, _options);
                    var (prompt, generation) = handler.Prepare(request, stopAt);
                    if (request.Stream)
                    {
                        stream = await _api.StartStreamingResponseAsync(invocation.RequestId,
                            request.IsChat ? DirectInvokeHandler.SseContentType : DirectInvokeHandler.NdjsonContentType, cancellation).ConfigureAwait(false);
                        await handler.RunStreamingAsync(request, prompt, generation, stream, cancellation).ConfigureAwait(false);
                        await stream.CompleteAsync(cancellation).ConfigureAwait(false);
                    }
                    else
                    {
                        byte[] answer = await handler.RunBufferedAsync(request, prompt, generation, cancellation).ConfigureAwait(false);
                        await _api.SendResponseAsync(invocation.RequestId, answer, cancellation: cancellation).ConfigureAwait(false);
                    }
                    break;
                }

                default:
                {
                    HttpEvent request = ParseHttp(document.RootElement, kind);
                    // After a slow init the model may still be loading; wait (within the deadline) rather than answer 503.
                    await Task.WhenAny(_server.Host.WhenSettled, Delay(stopAt, cancellation)).ConfigureAwait(false);
                    var handler = new HttpEventHandler(_server);
                    if (request.IsFunctionUrl && _options.FunctionUrlMode == FunctionUrlMode.Streaming)
                    {
                        stream = await _api.StartStreamingResponseAsync(invocation.RequestId, StreamingResponseWriter.HttpIntegrationContentType, cancellation).ConfigureAwait(false);
                        await handler.RunStreamingAsync(request, stopAt, invocation.Deadline, stream, cancellation).ConfigureAwait(false);
                        await stream.CompleteAsync(cancellation).ConfigureAwait(false);
                    }
                    else
                    {
                        byte[] answer = await handler.RunBufferedAsync(request, stopAt, invocation.Deadline, cancellation).ConfigureAwait(false);
                        await _api.SendResponseAsync(invocation.RequestId, answer, cancellation: cancellation).ConfigureAwait(false);
                    }
                    // The server has answered the caller why; a fresh process is the only thing that can help.
                    keepRunning = _server.Host.State != ModelState.Failed;
                    break;
                }
            }
        }
        catch (RuntimeApiException e) when (e.IsFatal)
        {
            _log.WriteLine($"llambda: {e.Message}; exiting as the Runtime API document asks.");
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            RuntimeError error = e switch
            {
                ArgumentException or PromptTooLongException or JsonException or FormatException => RuntimeError.InvalidRequest(e.Message),
                ModelNotReadyException notReady => notReady.Error,
                _ => RuntimeError.Internal(e),
            };
            if (error.ErrorType == RuntimeError.Internal(e).ErrorType) _log.WriteLine($"llambda: {invocation.RequestId}: {e}");
            keepRunning = e is not ModelNotReadyException { Failed: true };
            await ReportAsync(invocation, stream, error, cancellation).ConfigureAwait(false);
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        }
        _log.WriteLine($"llambda: {invocation.RequestId} {kind} in {clock.Elapsed.TotalMilliseconds:F0} ms");
        return keepRunning;
    }

    /// <summary>Before a stream has started the error is an ordinary <c>/error</c>; after, the stream's trailers carry it.</summary>
    private async Task ReportAsync(Invocation invocation, StreamingResponseWriter? stream, RuntimeError error, CancellationToken cancellation)
    {
        try
        {
            if (stream is not null) await stream.FailAsync(error, cancellation).ConfigureAwait(false);
            else await _api.SendErrorAsync(invocation.RequestId, error, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RuntimeApiException { IsFatal: true })
        {
            _log.WriteLine($"llambda: {invocation.RequestId}: could not report {error.ErrorType}: {e.Message}");
        }
    }

    private static JsonDocument ParseEvent(ReadOnlyMemory<byte> payload)
    {
        // An empty payload is what `aws lambda invoke` sends without --payload: treat it as {} (and say what to send).
        if (payload.Span.Trim(" \t\r\n"u8).IsEmpty) return JsonDocument.Parse("{}");
        try
        {
            return JsonDocument.Parse(payload);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The event is not valid JSON: {e.Message}");
        }
    }

    private static HttpEvent ParseHttp(JsonElement root, EventKind kind)
    {
        try
        {
            return HttpEvent.Parse(root, kind);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"The {kind} event is malformed: {e.Message}");
        }
    }

    private byte[] WarmUpAnswer()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("warm", true);
            json.WriteString("model", _server.Host.ModelId);
            json.WriteString("state", _server.Host.State.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The loaded model, waiting for a load that init left running, but never past the stop instant.</summary>
    private async Task<ReadyModel> WaitForModelAsync(DateTimeOffset? stopAt, CancellationToken cancellation)
    {
        await Task.WhenAny(_server.Host.WhenSettled, Delay(stopAt, cancellation)).ConfigureAwait(false);
        return _server.Host.State switch
        {
            ModelState.Ready => _server.Host.GetReady(),
            ModelState.Failed => throw new ModelNotReadyException(RuntimeError.ModelLoadFailed(_server.Host.Error ?? "unknown error"), failed: true),
            _ => throw new ModelNotReadyException(RuntimeError.DeadlineExceeded("The model was still loading when the invocation's deadline came; retry (the next invocation finds it loaded)."), failed: false),
        };
    }

    private static Task Delay(DateTimeOffset? until, CancellationToken cancellation) =>
        until is { } at ? Task.Delay(Max(at - DateTimeOffset.UtcNow, TimeSpan.Zero), cancellation) : Task.Delay(Timeout.Infinite, cancellation);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class ModelNotReadyException(RuntimeError error, bool failed) : Exception(error.ErrorMessage)
    {
        public RuntimeError Error { get; } = error;
        public bool Failed { get; } = failed;
    }
}
