using System.CommandLine;
using Llambda.Inference;
using Llambda.Provisioning;
using Llambda.Server;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda serve</c>: the OpenAI- and Ollama-compatible HTTP server. The port opens at once and the model loads in
/// the background (<c>/health</c> says "loading" meanwhile), which is what the Lambda Web Adapter and container
/// health checks expect.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var host = new Option<string>("--host") { Description = "Interface to listen on (0.0.0.0 in a container).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int?>("--port") { Description = "TCP port (default: $AWS_LWA_PORT, then $PORT, then 8080)." };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on API routes (default: $LLAMBDA_API_KEY)." };
        var parallel = new Option<int>("--parallel", "-np") { Description = "Requests generated at once (each slot has its own KV cache).", DefaultValueFactory = _ => 1 };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a slot before 429 (default: 4 x --parallel).", DefaultValueFactory = _ => -1 };
        var maxBody = new Option<long>("--max-body") { Description = "Largest request body in bytes (413 beyond).", DefaultValueFactory = _ => 4 * 1024 * 1024 };
        var alias = new Option<string?>("--alias") { Description = "Model id shown to clients (default: the file name)." };

        var command = new Command("serve", "Serve a model over HTTP: OpenAI and Ollama APIs, /health, /metrics and a chat page at /.");
        model.AddTo(command);
        foreach (var option in new Option[] { host, port, apiKey, parallel, queue, maxBody, alias }) command.Add(option);

        command.SetAction(parse =>
        {
            string reference = parse.GetValue(model.Model) is { Length: > 0 } named ? named : ModelLocator.DefaultModelName;
            // A local file is found now so a typo fails at once. A remote one is fetched in the background, before the
            // load: the port opens at once and /health says "loading" meanwhile, as for a slow load. A download or
            // load failure shows up in /health and in the routes' 503, not as a closed port.
            ModelReference parsed = ModelReference.Parse(reference);
            string path = parsed.IsRemote ? reference : ModelLocator.FromEnvironment().Resolve(parsed.Location);
            int threads = parse.GetValue(model.Threads);
            if (threads < 0) throw new ArgumentException($"--threads must be positive, got {threads}.");
            var options = new ServerOptions
            {
                ModelPath = path,
                ModelId = parse.GetValue(alias) ?? (parsed.IsRemote ? ModelReference.ModelName(reference) : null),
                Host = parse.GetValue(host) ?? "127.0.0.1",
                Port = parse.GetValue(port) ?? PortFromEnvironment(),
                ApiKey = parse.GetValue(apiKey) ?? NonEmpty(Environment.GetEnvironmentVariable("LLAMBDA_API_KEY")),
                ContextLength = model.ContextLength(parse),
                Threads = threads,
                Parallel = parse.GetValue(parallel),
                QueueLimit = parse.GetValue(queue),
                MaxRequestBodyBytes = parse.GetValue(maxBody),
            };
            var server = LlambdaServer.Create(options, loader: () =>
                LoadedModel.Load(ModelOptionsBinder.Resolve(reference), new ModelOptions { Threads = threads }));
            try
            {
                server.StartAsync().GetAwaiter().GetResult();
                Console.Error.WriteLine($"llambda serving {options.EffectiveModelId} on {string.Join(", ", server.Addresses)} (Ctrl-C stops)");
                server.RunUntilStoppedAsync().GetAwaiter().GetResult();
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        });
        return command;
    }

    /// <summary>The Lambda Web Adapter's order: AWS_LWA_PORT, then PORT, then 8080.</summary>
    private static int PortFromEnvironment()
    {
        foreach (string name in new[] { "AWS_LWA_PORT", "PORT" })
        {
            string? value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(value)) continue;
            return int.TryParse(value, out int port) && port is >= 0 and <= 65535
                ? port
                : throw new ArgumentException($"${name} must be a port number, got '{value}'.");
        }
        return 8080;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
