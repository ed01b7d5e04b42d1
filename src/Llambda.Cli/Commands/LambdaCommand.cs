using System.CommandLine;
using System.Runtime.InteropServices;
using Llambda.Lambda;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda lambda</c>: the AWS Lambda custom runtime. The package's <c>bootstrap</c> runs it; it reads its settings
/// from the function's environment (<c>AWS_LAMBDA_RUNTIME_API</c>, <c>LLAMBDA_MODEL</c>...; see docs/lambda.md), and
/// the options below override them for local runs against an emulator.
/// </summary>
internal static class LambdaCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var runtimeApi = new Option<string?>("--runtime-api") { Description = "host:port of the Runtime API (default: $AWS_LAMBDA_RUNTIME_API)." };
        var command = new Command("lambda", "Run as an AWS Lambda custom runtime (the package's bootstrap starts this).");
        model.AddTo(command);
        command.Add(runtimeApi);

        command.SetAction(parse =>
        {
            if (parse.GetValue(runtimeApi) is { Length: > 0 } api) Environment.SetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API", api);
            LambdaOptions options = LambdaOptions.FromEnvironment();
            if (parse.GetValue(model.Model) is { Length: > 0 } reference) options = options with { Model = reference };
            if (parse.GetValue(model.Threads) is > 0 and var threads) options = options with { Threads = threads };
            if (model.ContextLength(parse) is > 0 and var ctx) options = options with { ContextLength = ctx };

            // Lambda sends SIGTERM before it shuts an instance down: stop asking for events and exit cleanly.
            using var stop = new CancellationTokenSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            return LambdaHost.RunAsync(options, cancellation: stop.Token).GetAwaiter().GetResult();
        });
        return command;
    }
}
