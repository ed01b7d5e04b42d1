using System.CommandLine;
using System.Globalization;
using Llambda.Inference;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda generate -m MODEL -p PROMPT</c>: streams a continuation to stdout as it is made; a summary of the
/// timings goes to stderr so the output can be piped.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var sampling = new SamplingOptionsBinder();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The text to continue.", DefaultValueFactory = _ => "Once upon a time" };
        var count = new Option<int>("--n-predict", "-n") { Description = "Tokens to generate (-1: until end of text or a full context).", DefaultValueFactory = _ => 128 };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating past end-of-generation tokens." };
        var echo = new Option<bool>("--echo") { Description = "Print the prompt before the continuation." };
        var stop = new Option<string[]>("--stop") { Description = "A string that ends generation (repeatable).", AllowMultipleArgumentsPerToken = false };

        var command = new Command("generate", "Continue a prompt with a model, streaming the text.");
        model.AddTo(command);
        command.Add(prompt);
        command.Add(count);
        sampling.AddTo(command);
        command.Add(ignoreEos);
        command.Add(echo);
        command.Add(stop);

        command.SetAction(parse =>
        {
            int n = parse.GetValue(count);
            if (n < -1) throw new ArgumentException($"--n-predict must be -1 or more, got {n}.");
            var samplingOptions = sampling.Bind(parse);
            using var loaded = model.Load(parse);
            var session = loaded.CreateSession(model.ContextLength(parse));
            string text = parse.GetValue(prompt) ?? "";
            int[] tokens = loaded.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true);
            if (tokens.Length == 0) throw new ArgumentException("The prompt is empty and the model adds no BOS token; give a prompt.");

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

            var stdout = Console.Out;
            if (parse.GetValue(echo)) stdout.Write(text);
            var result = Generator.Run(session, tokens, new GenerationOptions
            {
                MaxTokens = n < 0 ? null : n,
                Sampling = samplingOptions,
                IgnoreEndOfGeneration = parse.GetValue(ignoreEos),
                StopStrings = parse.GetValue(stop) ?? [],
            }, token =>
            {
                stdout.Write(token.Text);
                stdout.Flush();
            }, cancel.Token);
            stdout.Write(result.TrailingText);
            stdout.WriteLine();
            stdout.Flush();

            var inv = CultureInfo.InvariantCulture;
            Console.Error.WriteLine(string.Format(inv,
                "load {0:F0} ms | prompt {1} tokens, {2:F1} tok/s | generated {3} tokens, {4:F1} tok/s | finish: {5} | {6} threads",
                loaded.LoadTime.TotalMilliseconds, result.PromptTokens, result.PromptTokensPerSecond,
                result.CompletionTokens, result.TokensPerSecond, result.FinishReason.ToString().ToLowerInvariant(), loaded.Pool.Threads));
            return 0;
        });
        return command;
    }
}
