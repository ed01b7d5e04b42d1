using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Llambda.Testing;

namespace Llambda.Cli.Tests;

/// <summary>Commands that take a model accept a URL: the model is fetched into the cache once, then reused.</summary>
public class RemoteModelTests
{
    [Fact]
    public void Generate_fetches_a_model_over_http_into_the_cache_then_reuses_it()
    {
        using var origin = new PlainModelServer(File.ReadAllBytes(SharedData.Model("stories260K.gguf")));
        string cache = Path.Combine(Path.GetTempPath(), "llambda-cli-cache-" + Guid.NewGuid().ToString("N"));
        var env = new Dictionary<string, string> { ["LLAMBDA_CACHE_DIR"] = cache };
        try
        {
            string url = origin.Url + "stories260K.gguf";
            var local = CliRunner.Run("generate", "-p", "Once upon a time", "-n", "12", "--temp", "0");
            var first = CliRunner.Run(["generate", "-m", url, "-p", "Once upon a time", "-n", "12", "--temp", "0"], null, environment: env);
            int afterFirst = origin.Gets;
            var second = CliRunner.Run(["generate", "-m", url, "-p", "Once upon a time", "-n", "12", "--temp", "0"], null, environment: env);

            Assert.True(first.ExitCode == 0, first.Stderr);
            Assert.Equal(local.Stdout, first.Stdout);
            Assert.Equal(local.Stdout, second.Stdout);
            Assert.True(afterFirst >= 1);
            Assert.Equal(afterFirst, origin.Gets); // the second run was a cache hit: no download
            Assert.Single(Directory.EnumerateFiles(cache, "*.gguf", SearchOption.AllDirectories));
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_opens_its_port_then_fetches_and_serves_a_remote_model()
    {
        using var origin = new PlainModelServer(File.ReadAllBytes(SharedData.Model("stories260K.gguf")));
        string cache = Path.Combine(Path.GetTempPath(), "llambda-cli-cache-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["LLAMBDA_CACHE_DIR"] = cache;
        foreach (string a in new[] { CliRunner.DllPath, "serve", "-m", origin.Url + "stories260K.gguf", "--port", "0", "-t", "1" }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = new StringBuilder();
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { address.TrySetException(new InvalidOperationException("serve exited:\n" + stderr)); return; }
            lock (stderr) stderr.AppendLine(e.Data);
            var match = Regex.Match(e.Data, @"serving (\S+) on (http://\S+?)[, ]");
            if (match.Success) address.TrySetResult(match.Groups[2].Value);
        };
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(await address.Task.WaitAsync(TimeSpan.FromSeconds(60))) };
            Assert.Contains("serving stories260K on", stderr.ToString()); // the model id is the remote file's name

            // The port is open while the model is fetched and loaded: /health answers 503 "loading", then 200 "ok".
            HttpResponseMessage health = await http.GetAsync("/health");
            for (int i = 0; i < 600 && health.StatusCode == HttpStatusCode.ServiceUnavailable; i++)
            {
                Assert.Contains("\"loading\"", await health.Content.ReadAsStringAsync());
                await Task.Delay(100);
                health = await http.GetAsync("/health");
            }
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync());

            var answer = await http.PostAsync("/v1/completions", new StringContent(
                """{"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            var local = CliRunner.Run("generate", "-p", "Once upon a time", "-n", "12", "--temp", "0");
            Assert.Equal(local.Stdout.TrimEnd(), json.GetProperty("choices")[0].GetProperty("text").GetString()!.TrimEnd());
            Assert.Single(Directory.EnumerateFiles(cache, "*.gguf", SearchOption.AllDirectories));
            Assert.True(origin.Gets >= 1);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>An HTTP origin with one file and no range support (one stream per GET), counting GETs.</summary>
    private sealed class PlainModelServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _gets;

        public PlainModelServer(byte[] model)
        {
            int port = Random.Shared.Next(20000, 60000);
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); } catch (HttpListenerException) { return; } catch (ObjectDisposedException) { return; }
                    bool get = context.Request.HttpMethod == "GET";
                    if (get) Interlocked.Increment(ref _gets);
                    context.Response.ContentLength64 = model.Length;
                    if (get) await context.Response.OutputStream.WriteAsync(model);
                    context.Response.Close();
                }
            });
        }

        public string Url { get; }
        public int Gets => Volatile.Read(ref _gets);

        public void Dispose() => _listener.Stop();
    }
}
