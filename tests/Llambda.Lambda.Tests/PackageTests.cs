using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Llambda.Lambda.Packaging;
using Xunit.Abstractions;

namespace Llambda.Lambda.Tests;

/// <summary>
/// The deployable artefact works: `llambda package` publishes a self-contained single-file linux-x64 binary (one
/// publish per test run: it takes minutes), zips it with bootstrap and the model; the zip is unpacked into an empty
/// folder and its bootstrap, started with AWS_LAMBDA_RUNTIME_API pointing at the Runtime API test server written
/// from the published document, serves an invocation.
/// </summary>
// Lambda runs on Linux: the zip carries Unix file modes.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait("Category", "Slow")]
public class PackageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Packaged_zip_unzips_and_its_bootstrap_serves_an_invocation()
    {
        string outDir = TestPaths.NewTempDirectory("llambda-package");
        string taskRoot = TestPaths.NewTempDirectory("llambda-task");
        try
        {
            var log = new List<string>();
            PackageResult result = await LambdaPackager.PackageAsync(new PackageRequest
            {
                Model = RuntimeHost.ModelPath,
                Architecture = "x86_64",
                OutputDirectory = outDir,
                RepositoryRoot = TestPaths.RepositoryRoot,
                // ReadyToRun compiles every assembly ahead of time (about 14 minutes on a loaded 2-core machine); what
                // this test proves, that the zip unpacks and its bootstrap serves, does not depend on it. The
                // product's default stays ReadyToRun; `llambda package` falls back to IL when that toolchain fails.
                ReadyToRun = false,
            }, line => { lock (log) log.Add(line); });
            output.WriteLine($"zip {LambdaPackager.Mb(result.ZipBytes)} MB, unzipped {LambdaPackager.Mb(result.UnzippedBytes)} MB (limit 250 MB), ReadyToRun: {result.ReadyToRun}");
            foreach (string note in result.Notes) output.WriteLine("note: " + note);
            Assert.True(result.FitsZipLimit);
            Assert.True(result.ModelBundled);
            Assert.Equal("stories260K", result.ModelSetting);

            // The template and Dockerfile were written beside the zip, set to this build.
            string template = File.ReadAllText(Path.Combine(outDir, "template.yaml"));
            Assert.Contains("InvokeMode: RESPONSE_STREAM", template);
            Assert.Contains("Default: stories260K  # llambda package: model", template);
            Assert.Contains("Default: llambda-x86_64.zip  # llambda package: code", template);
            Assert.Contains("FROM public.ecr.aws/lambda/provided:al2023", File.ReadAllText(Path.Combine(outDir, "Dockerfile")));

            // Unzip into an empty folder; the Unix modes travel in the zip.
            ZipFile.ExtractToDirectory(result.ZipPath, taskRoot);
            Assert.True(File.Exists(Path.Combine(taskRoot, "models", "stories260K.gguf")));
            Assert.True(File.GetUnixFileMode(Path.Combine(taskRoot, "bootstrap")).HasFlag(UnixFileMode.UserExecute));
            Assert.True(File.GetUnixFileMode(Path.Combine(taskRoot, "llambda")).HasFlag(UnixFileMode.UserExecute));

            await using var api = await RuntimeApiDocumentServer.StartAsync();
            var psi = new ProcessStartInfo(Path.Combine(taskRoot, "bootstrap"))
            {
                WorkingDirectory = "/",
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // What Lambda sets; nothing else from this machine (no DOTNET_ROOT: the binary is self-contained).
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            psi.Environment["AWS_LAMBDA_RUNTIME_API"] = api.Endpoint;
            psi.Environment["LAMBDA_TASK_ROOT"] = taskRoot;
            psi.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "llambda-test";
            psi.Environment["LLAMBDA_THREADS"] = "1";
            psi.Environment["HOME"] = taskRoot;
            psi.Environment["LLAMBDA_CACHE_DIR"] = Path.Combine(taskRoot, "cache");
            using var process = Process.Start(psi)!;
            var stderr = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            try
            {
                var clock = Stopwatch.StartNew();
                RecordedResult answer = await api.InvokeAsync("""{"prompt": "Once upon a time", "n-generate": 12, "temperature": 0}""", TimeSpan.FromSeconds(30))
                    .WaitAsync(TimeSpan.FromSeconds(60));
                output.WriteLine($"first invocation answered {clock.ElapsedMilliseconds} ms after the process started");
                Assert.True(answer.Kind == "response", $"{answer.Kind}: {answer.BodyText}\n{stderr}");
                using var json = JsonDocument.Parse(answer.Body);
                Assert.Equal(12, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
                Assert.Equal("stories260K", json.RootElement.GetProperty("model").GetString());

                // And an HTTP route through the same process.
                RecordedResult health = await api.InvokeAsync(SampleEvents.FunctionUrl("GET", "/health")).WaitAsync(TimeSpan.FromSeconds(30));
                var (prelude, _) = RuntimeApiClientTests.SplitPrelude(health.Body);
                Assert.Equal(200, prelude.GetProperty("statusCode").GetInt32());
            }
            catch (Exception e) when (e is TimeoutException)
            {
                Assert.Fail($"bootstrap did not answer: {stderr}");
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                output.WriteLine(stderr.ToString());
            }
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
            Directory.Delete(taskRoot, recursive: true);
        }
    }
}
