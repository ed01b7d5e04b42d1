using System.CommandLine;
using System.Globalization;
using Llambda.Tensors;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda quantize IN.gguf OUT.gguf TYPE</c>: writes the file llama.cpp's <c>llama-quantize</c> would write
/// (same mix rules, same bytes), with one line per tensor on stderr.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "The model to quantize (F32, F16 or BF16 weights)." };
        var output = new Argument<string>("output") { Description = "The .gguf file to write." };
        var type = new Argument<string>("type") { Description = $"Target: {string.Join(", ", QuantizationRecipe.ValidNames)}." };
        var requantize = new Option<bool>("--allow-requantize") { Description = "Accept an already-quantized input (dequantizes, then quantizes again: quality drops twice)." };
        var threads = new Option<int>("--threads", "-t") { Description = "Worker threads (default: one per CPU); the output does not depend on it." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only print the summary." };

        var command = new Command("quantize", "Quantize a GGUF model, byte-compatible with llama.cpp's llama-quantize.") { input, output, type, requantize, threads, quiet };
        command.SetAction(parse =>
        {
            var recipe = QuantizationRecipe.Parse(parse.GetValue(type)!);
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            if (!File.Exists(inPath)) throw new FileNotFoundException($"Model file not found: {inPath}", inPath);
            bool verbose = !parse.GetValue(quiet);
            var inv = CultureInfo.InvariantCulture;
            var report = ModelQuantizer.Quantize(inPath, outPath, recipe,
                new ModelQuantizerOptions { AllowRequantize = parse.GetValue(requantize), Threads = parse.GetValue(threads) },
                t =>
                {
                    if (!verbose) return;
                    Console.Error.WriteLine(string.Format(inv, "{0,-32} [{1}] {2,-5} -> {3,-5} {4,10:N1} KiB -> {5,10:N1} KiB",
                        t.Name, string.Join(", ", t.Dimensions), t.From, t.To, t.BytesBefore / 1024.0, t.BytesAfter / 1024.0));
                });
            Console.WriteLine(string.Format(inv, "{0}: {1} tensors, weights {2:N1} MiB -> {3:N1} MiB ({4:F2} bits per weight), file {5:N1} MiB, {6:F1} s",
                recipe.Name, report.Tensors.Count, report.WeightBytesBefore / 1048576.0, report.WeightBytesAfter / 1048576.0,
                report.BitsPerWeight, report.OutputBytes / 1048576.0, report.Elapsed.TotalSeconds));
            return 0;
        });
        return command;
    }
}
