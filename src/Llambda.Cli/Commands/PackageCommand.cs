using System.CommandLine;
using Llambda.Lambda.Packaging;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda package --model REF --arch x86_64|arm64 --out DIR</c>: everything needed to deploy to AWS Lambda — the
/// zip for <c>provided.al2023</c> (self-contained single-file ReadyToRun binary + bootstrap [+ model]), a Dockerfile
/// for the container-image route and a SAM template. Builds from the source tree (runs <c>dotnet publish</c>).
/// </summary>
internal static class PackageCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A local .gguf or name (bundled into the zip) or an https/s3/hf reference (fetched at init). Default: stories260K." };
        var arch = new Option<string>("--arch") { Description = "Lambda architecture: x86_64 or arm64.", DefaultValueFactory = _ => "x86_64" };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", DefaultValueFactory = _ => "dist/lambda" };
        var noReadyToRun = new Option<bool>("--no-ready-to-run") { Description = "Skip ReadyToRun compilation (smaller, slower first requests)." };
        var command = new Command("package", "Build the AWS Lambda deployment: zip (provided.al2023), Dockerfile and SAM template.")
        {
            model, arch, output, noReadyToRun,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            PackageResult result = await LambdaPackager.PackageAsync(new PackageRequest
            {
                Model = parse.GetValue(model),
                Architecture = parse.GetValue(arch)!,
                OutputDirectory = parse.GetValue(output)!,
                ReadyToRun = !parse.GetValue(noReadyToRun),
            }, line => Console.Error.WriteLine(line), cancellationToken);

            string dir = Path.GetDirectoryName(result.ZipPath)!;
            Console.Out.WriteLine($"zip:        {result.ZipPath}");
            Console.Out.WriteLine($"size:       {LambdaPackager.Mb(result.ZipBytes)} MB zipped, {LambdaPackager.Mb(result.UnzippedBytes)} MB unzipped " +
                                  $"({(result.FitsZipLimit ? "within" : "OVER")} Lambda's 250 MB unzipped limit)");
            Console.Out.WriteLine($"binary:     self-contained single file{(result.ReadyToRun ? ", ReadyToRun" : ", IL only (no ReadyToRun)")}");
            Console.Out.WriteLine($"model:      LLAMBDA_MODEL={result.ModelSetting}{(result.ModelBundled ? " (bundled in the zip)" : " (fetched at init)")}");
            Console.Out.WriteLine($"container:  {Path.Combine(dir, "Dockerfile")}");
            Console.Out.WriteLine($"sam:        {Path.Combine(dir, "template.yaml")}  (sam deploy --guided --template-file {Path.Combine(dir, "template.yaml")})");
            foreach (string note in result.Notes) Console.Out.WriteLine($"note:       {note}");
            return result.FitsZipLimit ? 0 : 1;
        });
        return command;
    }
}
