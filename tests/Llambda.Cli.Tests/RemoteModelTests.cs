using System.Net;
using Llambda.Testing;

namespace Llambda.Cli.Tests;

/// <summary>Commands that take a model accept a URL: the model is fetched into the cache once, then reused.</summary>
public class RemoteModelTests
{
    [Fact]
    public void Generate_fetches_a_model_over_http_into_the_cache_then_reuses_it()
    {
        byte[] model = File.ReadAllBytes(SharedData.Model("stories260K.gguf"));
        int requests = 0;
        using var listener = new HttpListener();
        int port = Random.Shared.Next(20000, 60000);
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch (HttpListenerException) { return; } catch (ObjectDisposedException) { return; }
                if (context.Request.HttpMethod == "GET") Interlocked.Increment(ref requests);
                context.Response.ContentLength64 = model.Length; // a plain server: no range support, one stream
                if (context.Request.HttpMethod == "GET") await context.Response.OutputStream.WriteAsync(model);
                context.Response.Close();
            }
        });

        string cache = Path.Combine(Path.GetTempPath(), "llambda-cli-cache-" + Guid.NewGuid().ToString("N"));
        var env = new Dictionary<string, string> { ["LLAMBDA_CACHE_DIR"] = cache };
        try
        {
            string url = $"http://127.0.0.1:{port}/stories260K.gguf";
            var local = CliRunner.Run("generate", "-p", "Once upon a time", "-n", "12", "--temp", "0");
            var first = CliRunner.Run(["generate", "-m", url, "-p", "Once upon a time", "-n", "12", "--temp", "0"], null, environment: env);
            int afterFirst = requests;
            var second = CliRunner.Run(["generate", "-m", url, "-p", "Once upon a time", "-n", "12", "--temp", "0"], null, environment: env);

            Assert.True(first.ExitCode == 0, first.Stderr);
            Assert.Equal(local.Stdout, first.Stdout);
            Assert.Equal(local.Stdout, second.Stdout);
            Assert.True(afterFirst >= 1);
            Assert.Equal(afterFirst, requests); // the second run was a cache hit: no download
            Assert.Single(Directory.EnumerateFiles(cache, "*.gguf", SearchOption.AllDirectories));
        }
        finally
        {
            listener.Stop();
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }
}
