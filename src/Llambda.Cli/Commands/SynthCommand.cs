using System.CommandLine;
using Llambda.Gguf;
using Llambda.Models.Synthetic;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda synth</c>: writes a random-weight GGUF with the exact shape of a published model and a real vocabulary,
/// for benchmarks and planning (speed depends on shape and type, not on weight values).
/// </summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "One of: " + string.Join(", ", ModelShape.Known.Select(s => s.Name)), Required = true };
        var type = new Option<string>("--type") { Description = "Weight type: " + string.Join(", ", SyntheticModelWriter.SupportedTypes), DefaultValueFactory = _ => "Q4_0" };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf path.", Required = true };
        var vocabDir = new Option<string?>("--vocab-dir") { Description = "Directory of vocabulary-only GGUFs (default: ../shared/reference/tokenizer)." };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var zeros = new Option<bool>("--zeros") { Description = "All-zero weights in a sparse file (no disk for a 7B): for plan and bandwidth, not for text." };
        var command = new Command("synth", "Write a random-weight model of a known shape (TinyLlama-1.1B, Llama-2-7B, ...).") { shape, type, output, vocabDir, seed, zeros };
        command.SetAction(parse =>
        {
            var s = ModelShape.Find(parse.GetValue(shape)!);
            if (!Enum.TryParse<GgmlType>(parse.GetValue(type), ignoreCase: true, out var t) || !SyntheticModelWriter.SupportedTypes.Contains(t))
                throw new ArgumentException($"Unknown type '{parse.GetValue(type)}'; supported: {string.Join(", ", SyntheticModelWriter.SupportedTypes)}.");
            string dir = parse.GetValue(vocabDir) ?? FindVocabularyDirectory();
            string vocab = Path.Combine(dir, s.VocabularySource);
            if (!File.Exists(vocab)) throw new FileNotFoundException($"Vocabulary {vocab} not found; pass --vocab-dir.", vocab);
            string path = parse.GetValue(output)!;
            Console.Error.WriteLine($"writing {s.Name} ({s.ParameterCount / 1e6:F0} M parameters) as {t} to {path} ...");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            SyntheticModelWriter.Write(s, t, vocab, path, parse.GetValue(seed), parse.GetValue(zeros));
            Console.Error.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s: {InspectCommand.Bytes(new FileInfo(path).Length)}");
            return 0;
        });
        return command;
    }

    private static string FindVocabularyDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "..", "shared", "reference", "tokenizer");
                if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
            }
        }
        throw new DirectoryNotFoundException("No vocabulary directory found; pass --vocab-dir.");
    }
}
