using System.CommandLine;
using Llambda.Planner;
using Llambda.Provisioning;
using Llambda.Tensors;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda study -m MODEL.gguf -f TEXT</c>: quantizes an unquantized model to each type and measures size,
/// memory, load time, speed and perplexity; writes study-NAME.md and study-NAME.svg.
/// </summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "An F32/F16/BF16 .gguf path or model name." };
        var file = new Option<string>("--file", "-f") { Description = "Text for the perplexity (UTF-8).", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Perplexity chunk length.", DefaultValueFactory = _ => 128 };
        var chunks = new Option<int>("--chunks") { Description = "Score at most this many chunks (default: all)." };
        var types = new Option<string?>("--types") { Description = "Comma-separated types (default: all quantized types)." };
        var threads = new Option<int>("--threads", "-t") { Description = "Worker threads (default: one per CPU)." };
        var outDir = new Option<string>("--out-dir", "-o") { Description = "Where to write study-NAME.md and .svg.", DefaultValueFactory = _ => "." };
        var keep = new Option<bool>("--keep") { Description = "Keep the quantized files (in --out-dir)." };

        var command = new Command("study", "Quantize a model to each type and measure size, memory, speed and perplexity.")
        {
            model, file, ctx, chunks, types, threads, outDir, keep,
        };
        command.SetAction(parse =>
        {
            string path = ModelOptionsBinder.Resolve(parse.GetValue(model));
            string textPath = parse.GetValue(file)!;
            if (!File.Exists(textPath)) throw new FileNotFoundException($"Text file not found: {textPath}", textPath);
            var recipes = (parse.GetValue(types) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(QuantizationRecipe.Parse).DistinctBy(r => r.Name).ToList();
            string dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            bool keepFiles = parse.GetValue(keep);

            var result = QuantizationStudy.Run(path, File.ReadAllText(textPath), Path.GetFileName(textPath), new StudyOptions
            {
                Recipes = recipes,
                ContextLength = parse.GetValue(ctx),
                MaxChunks = parse.GetValue(chunks),
                Threads = parse.GetValue(threads),
                WorkDirectory = keepFiles ? dir : null,
                KeepFiles = keepFiles,
            }, line => Console.Error.WriteLine(line));

            string name = "study-" + Path.GetFileNameWithoutExtension(path);
            string markdown = QuantizationStudy.ToMarkdown(result, name + ".svg");
            File.WriteAllText(Path.Combine(dir, name + ".md"), markdown);
            File.WriteAllText(Path.Combine(dir, name + ".svg"), QuantizationStudy.ToSvg(result));
            Console.Write(markdown);
            Console.Error.WriteLine($"wrote {Path.Combine(dir, name + ".md")} and {name}.svg");
            return 0;
        });
        return command;
    }
}
