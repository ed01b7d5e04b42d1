using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Lambda.Tests;

/// <summary>
/// The runtime (<see cref="LambdaHost"/>) running in this process against a <see cref="RuntimeApiDocumentServer"/>,
/// with stories260K. Tests queue events and read what the runtime posted back.
/// </summary>
public sealed class RuntimeHost : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<LambdaOptions, LambdaOptions> _configure;

    public RuntimeHost() : this(o => o) { }

    internal RuntimeHost(Func<LambdaOptions, LambdaOptions> configure) => _configure = configure;

    public RuntimeApiDocumentServer Api { get; private set; } = null!;
    public Task<int> Running { get; private set; } = null!;
    public StringWriter Log { get; } = new();

    public static string ModelPath => SharedData.Model("stories260K.gguf");

    public async Task InitializeAsync()
    {
        Api = await RuntimeApiDocumentServer.StartAsync();
        var options = _configure(new LambdaOptions
        {
            RuntimeApi = Api.Endpoint,
            Model = ModelPath,
            Threads = 1,
            // Long enough that a deadline, not a full context, ends the long generations below.
            ContextLength = 32768,
        });
        Running = Task.Run(() => LambdaHost.RunAsync(options, log: TextWriter.Synchronized(Log), cancellation: _stop.Token));
    }

    public Task<RecordedResult> InvokeAsync(object payload, TimeSpan? timeout = null, string? traceId = null) =>
        Api.InvokeAsync(payload as string ?? JsonSerializer.Serialize(payload), timeout, traceId);

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        try { await Running.WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* shutting down */ }
        await Api.DisposeAsync();
    }
}

/// <summary>The hosts share one collection: one runtime generates at a time (2 cores), and <c>_X_AMZN_TRACE_ID</c> is process-wide.</summary>
[CollectionDefinition("runtime")]
public sealed class RuntimeCollection : ICollectionFixture<RuntimeHost>;
