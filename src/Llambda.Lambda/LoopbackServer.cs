using System.Net.Http.Headers;
using Llambda.Inference;
using Llambda.Lambda.Events;
using Llambda.Provisioning;
using Llambda.Server;
using Microsoft.Extensions.Logging;

namespace Llambda.Lambda;

/// <summary>
/// The <c>llambda serve</c> application (<see cref="LlambdaServer"/>) running inside the Lambda process, bound to
/// 127.0.0.1 on a free port. HTTP events are forwarded to it over loopback and its answer is streamed back, which
/// is what the AWS Lambda Web Adapter does from outside: every OpenAI and Ollama route works through a Function URL
/// with the very same handlers, and the model it loads is the one direct invocations use.
/// </summary>
/// <remarks>
/// This is an adapter: <see cref="LlambdaServer"/> offers no way to build its request pipeline without Kestrel. The
/// loopback hop costs well under a millisecond per request, nothing next to a token.
/// </remarks>
public sealed class LoopbackServer : IAsyncDisposable
{
    // Request headers that describe the hop, not the request: HttpClient sets its own.
    private static readonly HashSet<string> s_hopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Expect", "TE", "Trailer",
    };

    private readonly LlambdaServer _server;
    private readonly HttpClient _http;

    private LoopbackServer(LlambdaServer server, Uri address)
    {
        _server = server;
        BaseAddress = address;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            // A response abandoned at the deadline must close its connection, not be drained (for up to 2 s, by
            // default) while the server keeps generating: closing is what tells the server to stop and free the slot.
            MaxResponseDrainSize = 0,
        })
        {
            BaseAddress = address,
            // Deadlines are enforced per request by the caller's cancellation token.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's model holder: its state for warm-ups and init, its scheduler for direct invocations.</summary>
    public ModelHost Host => _server.Host;

    /// <summary>
    /// Opens the port, then starts resolving (downloading, if it is a URL) and loading the model in the background;
    /// <see cref="ModelHost.WhenSettled"/> completes when that has succeeded or failed.
    /// </summary>
    public static async Task<LoopbackServer> StartAsync(LambdaOptions options, Func<LoadedModel>? loader = null, Action<ILoggingBuilder>? logging = null)
    {
        var server = LlambdaServer.Create(new ServerOptions
        {
            // The reference stands in for the path until the loader has fetched it; the id is what clients see.
            ModelPath = options.Model ?? ModelLocator.DefaultModelName,
            ModelId = ModelReference.ModelName(options.Model),
            Host = "127.0.0.1",
            Port = 0,
            ApiKey = options.ApiKey,
            ContextLength = options.ContextLength,
            Threads = options.Threads,
            // Lambda hands a process one invocation at a time: one slot, one KV cache.
            Parallel = 1,
            DefaultMaxTokens = options.DefaultMaxTokens,
            // A Lambda request body is at most 6 MB.
            MaxRequestBodyBytes = 6 * 1024 * 1024,
        }, loader ?? (() => LoadModel(options)), logging);
        try
        {
            await server.StartAsync();
            string address = server.Addresses.FirstOrDefault() ?? throw new InvalidOperationException("The in-process server bound no address.");
            return new LoopbackServer(server, new Uri(address));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Fetches the model if it is remote (into /tmp inside Lambda), then maps and loads it.</summary>
    private static LoadedModel LoadModel(LambdaOptions options)
    {
        // ModelHost runs this on a dedicated thread, so blocking on the download here blocks nothing else.
        string path = ModelProvider.EnsureLocalAsync(options.Model, new ProvisioningOptions { Log = message => Console.Error.WriteLine(message) })
            .GetAwaiter().GetResult();
        return LoadedModel.Load(path, new ModelOptions { Threads = options.Threads });
    }

    /// <summary>
    /// Sends <paramref name="request"/> to the server and returns as soon as the response headers arrive; the body
    /// is read by the caller as the server writes it (tokens of an SSE stream included).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpEvent request, DateTimeOffset? stopAt, CancellationToken cancellation)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery);
        var content = new ByteArrayContent(request.Body);
        bool hasContent = request.Body.Length > 0 || request.Method is "POST" or "PUT" or "PATCH";
        foreach (var (name, value) in request.Headers)
        {
            if (s_hopHeaders.Contains(name)) continue;
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                content.Headers.TryAddWithoutValidation(name, value);
            else
                message.Headers.TryAddWithoutValidation(name, value);
        }
        // The instant generation should stop by, for a server that honours it (see docs/lambda.md, "Deadlines").
        if (stopAt is { } at) message.Headers.TryAddWithoutValidation("X-Llambda-Deadline-Ms", at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (hasContent) message.Content = content;
        else content.Dispose();
        return await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
    }

    /// <summary>Response headers and content headers as one list, as a Lambda HTTP response carries them.</summary>
    public static List<KeyValuePair<string, string>> Headers(HttpResponseMessage response)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (s_hopHeaders.Contains(name)) continue;
            foreach (string value in values) list.Add(new(name, value));
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }
}
