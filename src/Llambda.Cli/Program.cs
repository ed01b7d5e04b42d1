using System.CommandLine;
using Llambda.Cli;
using Llambda.Cli.Commands;

var root = new RootCommand("Llambda: serverless-first LLM inference in pure C#. Runs GGUF models on CPU.")
{
    InspectCommand.Create(),
    PullCommand.Create(),
    GenerateCommand.Create(),
    ChatCommand.Create(),
    QuantizeCommand.Create(),
    PerplexityCommand.Create(),
    PlanCommand.Create(),
    StudyCommand.Create(),
    BenchCommand.Create(),
    SynthCommand.Create(),
    ServeCommand.Create(),
    LambdaCommand.Create(),
    PackageCommand.Create(),
};

// Our handler, not the library's: users get one clear line, never a stack trace.
return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
