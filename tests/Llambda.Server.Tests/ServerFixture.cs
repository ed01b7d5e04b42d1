using System.Net.Http.Headers;
using Llambda.Inference;
using Llambda.Testing;
using Microsoft.Extensions.Logging;

namespace Llambda.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 (a free port) serving stories260K, for one test or a whole collection.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string ModelFile = "stories260K.gguf";

    private RunningServer(LlambdaServer server, Uri baseAddress, string? apiKey)
    {
        Server = server;
        BaseAddress = baseAddress;
        ApiKey = apiKey;
    }

    public LlambdaServer Server { get; }
    public Uri BaseAddress { get; }
    public string? ApiKey { get; }

    public static async Task<RunningServer> StartAsync(ServerOptions? options = null, Func<LoadedModel>? loader = null, bool waitUntilReady = true)
    {
        options ??= new ServerOptions { ModelPath = SharedData.Model(ModelFile) };
        options = options with { Host = "127.0.0.1", Port = 0 };
        var server = LlambdaServer.Create(options, loader, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await server.StartAsync();
        if (waitUntilReady) await server.Host.WhenSettled.WaitAsync(TimeSpan.FromSeconds(60));
        return new RunningServer(server, new Uri(server.Addresses.Single()), options.ApiKey);
    }

    public HttpClient CreateClient(bool withKey = true)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (withKey && ApiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>The shared server: 4 slots, a queue of 16, an API key, a small body limit.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Key = "sk-test-key";
    public const long BodyLimit = 64 * 1024;

    public RunningServer Running { get; private set; } = null!;
    public Uri BaseAddress => Running.BaseAddress;

    public async Task InitializeAsync() => Running = await RunningServer.StartAsync(new ServerOptions
    {
        ModelPath = SharedData.Model(RunningServer.ModelFile),
        ApiKey = Key,
        Parallel = 4,
        QueueLimit = 16,
        ContextLength = 256,
        MaxRequestBodyBytes = BodyLimit,
    });

    public HttpClient CreateClient(bool withKey = true) => Running.CreateClient(withKey);

    public async Task DisposeAsync() => await Running.DisposeAsync();
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

/// <summary>
/// What the engine itself produces for a request, run alone on a fresh session with greedy sampling: the server's
/// answer must be exactly this, whatever else is running.
/// </summary>
public static class Reference
{
    private static readonly Lazy<LoadedModel> s_model = new(() => LoadedModel.Load(SharedData.Model(RunningServer.ModelFile)));
    private static readonly object s_gate = new();

    public static LoadedModel Model => s_model.Value;

    public static string Chat(IReadOnlyList<ChatMessage> messages, int maxTokens, int context = 256)
    {
        var chat = ChatFormatter.ForModel(Model);
        return Run(chat.Format(messages), maxTokens, chat.StopStrings, context);
    }

    public static string Complete(string prompt, int maxTokens, int context = 256) =>
        Run(Model.Tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true), maxTokens, [], context);

    private static string Run(int[] prompt, int maxTokens, IReadOnlyList<string> stops, int context)
    {
        lock (s_gate)
        {
            var session = Model.CreateSession(context);
            var text = new System.Text.StringBuilder();
            var result = Generator.Run(session, prompt, new GenerationOptions
            {
                MaxTokens = Math.Min(maxTokens, context - prompt.Length),
                Sampling = SamplingOptions.Greedy,
                StopStrings = stops,
            }, t => text.Append(t.Text));
            return text.Append(result.TrailingText).ToString();
        }
    }
}
