using System.Net;
using Llambda.Inference;
using Llambda.Server.Contracts;
using Llambda.Server.Routes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Llambda.Server;

/// <summary>
/// The HTTP server: Kestrel, the middleware (metrics → errors → API key) and the routes. <see cref="StartAsync"/> opens
/// the port first and loads the model after, so <c>/health</c> answers from the first moment.
/// </summary>
public sealed class LlambdaServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LlambdaServer(WebApplication app, ModelHost host, ServerMetrics metrics)
    {
        _app = app;
        Host = host;
        Metrics = metrics;
    }

    public ModelHost Host { get; }
    public ServerMetrics Metrics { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>The addresses Kestrel bound (with the real port when 0 was asked for), e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <param name="loader">Loads the model (tests pass a slow or failing one); default: <see cref="LoadedModel.Load"/> of <see cref="ServerOptions.ModelPath"/>.</param>
    /// <param name="logging">Adjusts logging (tests quiet it).</param>
    public static LlambdaServer Create(ServerOptions options, Func<LoadedModel>? loader = null, Action<ILoggingBuilder>? logging = null)
    {
        options.Validate();
        // The slim builder leaves out what a JSON API does not need (static-file, HTTPS and IIS plumbing) and starts faster.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Per-request framework logs drown the ones that matter; errors and our own lines stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Listen(ParseHost(options.Host), options.Port);
        });
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Wire));

        var metrics = new ServerMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp => new ModelHost(options, metrics, sp.GetRequiredService<ILogger<ModelHost>>(), loader));

        WebApplication app = builder.Build();
        app.UseRequestMetrics(metrics);
        app.UseApiErrors();
        app.UseApiKey(options.ApiKey);
        app.UseRouting();
        // Unknown routes and wrong methods answer in the same JSON shape as every other error.
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            int code = context.Response.StatusCode;
            string message = code switch
            {
                404 => $"Unknown route: {context.Request.Method} {context.Request.Path}. See GET / for the web page and docs/server.md for the API.",
                405 => $"Method {context.Request.Method} is not allowed on {context.Request.Path}.",
                _ => $"HTTP {code}.",
            };
            await ErrorHandling.WriteErrorAsync(context, new ApiException(code, message, code: code == 404 ? "not_found" : "method_not_allowed"));
        });

        app.MapServiceRoutes();
        app.MapOpenAiRoutes();
        app.MapOllamaRoutes();
        return new LlambdaServer(app, app.Services.GetRequiredService<ModelHost>(), metrics);
    }

    private static IPAddress ParseHost(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "+" or "0.0.0.0" => IPAddress.Any,
        _ when IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address) => address,
        _ => throw new ArgumentException($"--host must be an IP address (or localhost), got '{host}'."),
    };

    /// <summary>Opens the port, then starts loading the model in the background.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        await _app.StartAsync(cancellation);
        Host.StartLoading();
    }

    /// <summary>Serves until the process is asked to stop (Ctrl-C, SIGTERM).</summary>
    public async Task RunAsync(CancellationToken cancellation = default)
    {
        await StartAsync(cancellation);
        await RunUntilStoppedAsync(cancellation);
    }

    /// <summary>After <see cref="StartAsync"/>: waits for Ctrl-C or SIGTERM.</summary>
    public Task RunUntilStoppedAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Host.Dispose();
    }
}
