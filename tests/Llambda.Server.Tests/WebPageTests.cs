using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Llambda.Testing;
using InferenceChat = Llambda.Inference.ChatMessage;

namespace Llambda.Server.Tests;

/// <summary>
/// The chat page in a real browser: Debian's headless Chromium, driven over the Chrome DevTools Protocol. A message
/// is typed with key events, the answer streams in, and a screenshot is kept beside the test binary (and in docs/web-chat.png with LLAMBDA_UPDATE_DOCS=1).
/// </summary>
public sealed class WebPageTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Typing_a_message_streams_an_answer_into_the_page()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/run installs Debian's chromium package.");
        await using var running = await RunningServer.StartAsync(new ServerOptions { ModelPath = SharedData.Model(RunningServer.ModelFile), ContextLength = 256 });
        string profile = Directory.CreateTempSubdirectory("llambda-chromium-").FullName;
        using var browser = Process.Start(new ProcessStartInfo(Chromium)
        {
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1000,700",
                "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        browser.ErrorDataReceived += (_, _) => { };
        browser.OutputDataReceived += (_, _) => { };
        browser.BeginErrorReadLine();
        browser.BeginOutputReadLine();
        try
        {
            await using var page = await DevTools.ConnectToPageAsync(profile);
            await page.SendAsync("Page.enable");
            await page.SendAsync("Page.navigate", new JsonObject { ["url"] = running.BaseAddress.ToString() });
            await page.WaitForAsync("document.readyState === 'complete' && document.getElementById('status').textContent.startsWith('model:')");

            // Greedy and short, so the answer can be checked against the engine.
            await page.EvaluateAsync("document.getElementById('temperature').value = '0'; document.getElementById('max-tokens').value = '40'; document.getElementById('input').focus()");
            await page.SendAsync("Input.insertText", new JsonObject { ["text"] = "Once upon a time" });
            await page.SendAsync("Input.dispatchKeyEvent", new JsonObject { ["type"] = "keyDown", ["key"] = "Enter", ["code"] = "Enter", ["windowsVirtualKeyCode"] = 13, ["text"] = "\r" });
            await page.SendAsync("Input.dispatchKeyEvent", new JsonObject { ["type"] = "keyUp", ["key"] = "Enter", ["code"] = "Enter", ["windowsVirtualKeyCode"] = 13 });

            await page.WaitForAsync("window.llambda.done === true && document.querySelector('.stats') !== null");
            string answer = (await page.EvaluateAsync("document.querySelector('.message.assistant').textContent"))!.GetValue<string>();
            int chunks = (await page.EvaluateAsync("window.llambda.chunks"))!.GetValue<int>();
            string user = (await page.EvaluateAsync("document.querySelector('.message.user').textContent"))!.GetValue<string>();

            Assert.Equal("Once upon a time", user);
            Assert.Equal(Reference.Chat([new InferenceChat("user", "Once upon a time")], 40), answer);
            Assert.True(chunks > 5, $"the answer arrived in {chunks} pieces; it should stream");

            JsonNode shot = await page.SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
            byte[] png = Convert.FromBase64String(shot["data"]!.GetValue<string>());
            File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "web-chat.png"), png);
            // The docs copy changes every run (timings are on screen), so it is refreshed only on request.
            if (Environment.GetEnvironmentVariable("LLAMBDA_UPDATE_DOCS") == "1")
                File.WriteAllBytes(Path.Combine(BadRequestTests.RepositoryRoot(), "docs", "web-chat.png"), png);
        }
        finally
        {
            if (!browser.HasExited) browser.Kill(entireProcessTree: true);
            await browser.WaitForExitAsync();
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } // Chromium may still hold a file for a moment
        }
    }

    /// <summary>A minimal Chrome DevTools Protocol client: one page target, commands answered by id, events ignored.</summary>
    private sealed class DevTools : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private int _nextId;

        private DevTools(ClientWebSocket socket) => _socket = socket;

        public static async Task<DevTools> ConnectToPageAsync(string profile)
        {
            // Chromium writes the port it picked (and the browser's socket path) to DevToolsActivePort.
            string portFile = Path.Combine(profile, "DevToolsActivePort");
            await ConcurrencyTests.WaitUntilAsync(() => File.Exists(portFile) && File.ReadAllLines(portFile).Length >= 2, 30_000);
            int port = int.Parse(File.ReadAllLines(portFile)[0]);
            using var http = new HttpClient();
            JsonArray targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            string url = targets.First(t => t!["type"]!.GetValue<string>() == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(url), CancellationToken.None);
            return new DevTools(socket);
        }

        public async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
        {
            int id = ++_nextId;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                JsonNode reply = await ReceiveAsync(timeout.Token);
                if (reply["id"]?.GetValue<int>() != id) continue; // an event or an older reply
                if (reply["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
                return reply["result"]!;
            }
        }

        public async Task<JsonNode?> EvaluateAsync(string expression)
        {
            JsonNode result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
            if (result["exceptionDetails"] is { } details) throw new InvalidOperationException("page script failed: " + details.ToJsonString());
            return result["result"]!["value"];
        }

        public async Task WaitForAsync(string condition, int timeoutMs = 30_000)
        {
            var clock = Stopwatch.StartNew();
            while ((await EvaluateAsync($"!!({condition})"))?.GetValue<bool>() != true)
            {
                if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("page never reached: " + condition);
                await Task.Delay(50);
            }
        }

        private async Task<JsonNode> ReceiveAsync(CancellationToken cancellation)
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, cancellation);
                message.Write(buffer, 0, result.Count);
            } while (!result.EndOfMessage);
            return JsonNode.Parse(message.ToArray())!;
        }

        public async ValueTask DisposeAsync()
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); } catch (WebSocketException) { }
            _socket.Dispose();
        }
    }
}
