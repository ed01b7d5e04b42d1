using System.CommandLine;
using Llambda.Inference;
using Llambda.Provisioning;

namespace Llambda.Cli.Commands;

/// <summary>The options every model-running command shares: which model, how many threads, how much context.</summary>
internal sealed class ModelOptionsBinder
{
    public Option<string?> Model { get; } = new("--model", "-m") { Description = $"A .gguf path, a model name, or https:// / s3:// / hf:// reference (default: {ModelLocator.DefaultModelName})." };
    public Option<int> Threads { get; } = new("--threads", "-t") { Description = "Worker threads (default: one per CPU)." };
    public Option<int> Context { get; } = new("--ctx", "-c") { Description = "Context length in tokens (default: the model's, up to 4096)." };

    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(Threads);
        command.Add(Context);
    }

    /// <summary>
    /// The local file for what the user typed: a path or bare name is looked up; a remote reference is served from
    /// the cache or downloaded into it (progress on stderr). Every command that takes a model goes through here.
    /// </summary>
    public static string Resolve(string? reference) =>
        ModelProvider.EnsureLocalAsync(reference, new ProvisioningOptions { Log = message => Console.Error.WriteLine(message) })
            .GetAwaiter().GetResult();

    /// <summary>Finds (or fetches) and loads the model the user named.</summary>
    public LoadedModel Load(ParseResult parse)
    {
        string path = Resolve(parse.GetValue(Model));
        int threads = parse.GetValue(Threads);
        if (threads < 0) throw new ArgumentException($"--threads must be positive, got {threads}.");
        return LoadedModel.Load(path, new ModelOptions { Threads = threads });
    }

    public int ContextLength(ParseResult parse)
    {
        int ctx = parse.GetValue(Context);
        return ctx >= 0 ? ctx : throw new ArgumentException($"--ctx must be positive, got {ctx}.");
    }
}
