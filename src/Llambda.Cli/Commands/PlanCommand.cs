using System.CommandLine;
using Llambda.Gguf;
using Llambda.Planner;
using Llambda.Provisioning;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda plan -m MODEL [--ctx N] [--arch x86_64|arm64]</c>: will the model run on Lambda, at which memory
/// size, how fast and for how much. Prints Markdown; exits with 3 when the model fits no Lambda size.
/// </summary>
internal static class PlanCommand
{
    public const int DoesNotFitExitCode = 3;

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = $"A .gguf path or a model name (default: {ModelLocator.DefaultModelName})." };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Context length to budget the KV cache for (default: 2048, or the model's if smaller).", DefaultValueFactory = _ => 0 };
        var arch = new Option<string>("--arch") { Description = "Lambda architecture: x86_64 or arm64.", DefaultValueFactory = _ => "x86_64" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt tokens of the request to price.", DefaultValueFactory = _ => 256 };
        var outputTokens = new Option<int>("--output-tokens") { Description = "Output tokens of the request to price.", DefaultValueFactory = _ => 256 };
        var s3 = new Option<double>("--s3-mbps") { Description = "Assumed S3 download throughput for the cold start, MB/s.", DefaultValueFactory = _ => 200 };
        var calibrate = new Option<bool>("--calibrate") { Description = "Measure this machine's speed on the model now (and cache it) instead of reusing a cached calibration." };
        var calibrationFile = new Option<string?>("--calibration") { Description = $"Calibration cache file (default: {Calibrator.DefaultCachePath})." };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the Markdown plan to this file." };

        var command = new Command("plan", "Plan a Lambda deployment: memory, fit per size, speed, cold start and cost.")
        {
            model, ctx, arch, promptTokens, outputTokens, s3, calibrate, calibrationFile, output,
        };
        command.SetAction(parse =>
        {
            string path = ModelOptionsBinder.Resolve(parse.GetValue(model));
            var architecture = parse.GetValue(arch)?.ToLowerInvariant() switch
            {
                "x86_64" or "x86" or "amd64" => LambdaArchitecture.X86_64,
                "arm64" or "aarch64" => LambdaArchitecture.Arm64,
                var other => throw new ArgumentException($"Unknown --arch '{other}': use x86_64 or arm64."),
            };
            GgufModelSummary summary;
            using (var file = GgufFile.Open(path)) summary = GgufModelSummary.FromFile(file);
            int context = parse.GetValue(ctx);
            if (context < 0) throw new ArgumentException($"--ctx must be positive, got {context}.");
            if (context == 0) context = Math.Min(2048, summary.ContextLength ?? 2048);
            if (parse.GetValue(promptTokens) < 0 || parse.GetValue(outputTokens) < 1) throw new ArgumentException("--prompt-tokens must be ≥ 0 and --output-tokens ≥ 1.");

            string? cache = parse.GetValue(calibrationFile);
            string type = Calibrator.DominantType(summary).ToString();
            var calibration = parse.GetValue(calibrate) ? null : Calibrator.Load(type, cache);
            if (calibration == null && (parse.GetValue(calibrate) || summary.FileBytes <= 2L << 30))
            {
                // Small enough to measure here in seconds; bigger models reuse a calibration of their type.
                calibration = Calibrator.Measure(path, log: line => Console.Error.WriteLine(line));
                Calibrator.Save(calibration, cache);
            }

            var plan = DeploymentPlanner.Plan(path, summary, calibration, new PlanOptions
            {
                ContextLength = context,
                Architecture = architecture,
                PromptTokens = parse.GetValue(promptTokens),
                OutputTokens = parse.GetValue(outputTokens),
                S3MegabytesPerSecond = parse.GetValue(s3),
            });
            string markdown = PlanReport.ToMarkdown(plan);
            Console.Write(markdown);
            if (parse.GetValue(output) is string outPath) File.WriteAllText(outPath, markdown);
            if (PlanReport.DoesNotFit(plan) is string verdict)
            {
                Console.Error.WriteLine(verdict);
                return DoesNotFitExitCode;
            }
            return 0;
        });
        return command;
    }
}
