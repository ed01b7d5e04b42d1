using System.CommandLine;
using System.Globalization;
using Llambda.Inference;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda perplexity -m MODEL -f TEXT [--ctx N]</c>: llama.cpp's perplexity (same tokenization, chunking and
/// scoring), printing the running estimate per chunk like llama-perplexity does.
/// </summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var file = new Option<string>("--file", "-f") { Description = "The text to score (UTF-8).", Required = true };
        var chunks = new Option<int>("--chunks") { Description = "Score at most this many chunks (default: all)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };

        var command = new Command("perplexity", "Perplexity of a model on a text, computed exactly as llama.cpp's llama-perplexity does.");
        model.AddTo(command);
        command.Add(file);
        command.Add(chunks);
        command.Add(json);
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"Text file not found: {path}", path);
            string text = File.ReadAllText(path);
            int ctx = model.ContextLength(parse);
            if (ctx == 0) ctx = 512;
            int maxChunks = parse.GetValue(chunks);
            if (maxChunks < 0) throw new ArgumentException($"--chunks must be positive, got {maxChunks}.");
            using var loaded = model.Load(parse);
            var inv = CultureInfo.InvariantCulture;
            bool asJson = parse.GetValue(json);
            var result = Perplexity.Compute(loaded, text, new PerplexityOptions { ContextLength = ctx, MaxChunks = maxChunks },
                (chunk, estimate) => { if (!asJson) Console.Error.Write(string.Format(inv, "[{0}]{1:F4},", chunk, estimate)); });
            if (asJson)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                {
                    model = loaded.Name, ctx = result.ContextLength, tokens = result.TextTokens, chunks = result.Chunks,
                    scored = result.ScoredTokens, ppl = result.Value, uncertainty = result.Uncertainty,
                    tokensPerSecond = result.TokensPerSecond,
                }));
            }
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine(string.Format(inv, "Final estimate: PPL = {0:F4} +/- {1:F5}", result.Value, result.Uncertainty));
                Console.Error.WriteLine(string.Format(inv, "{0} tokens, {1} chunks of {2}, {3} scored, {4:F1} tok/s, {5} threads",
                    result.TextTokens, result.Chunks, result.ContextLength, result.ScoredTokens, result.TokensPerSecond, loaded.Pool.Threads));
            }
            return 0;
        });
        return command;
    }
}
