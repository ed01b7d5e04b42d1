using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Llambda.Server.Tests;

/// <summary>
/// Every kind of bad request we know of, sent for real; each must get its status and a message that names the
/// problem. The table in docs/server.md is this test's output (bad-requests.md beside the test binary;
/// LLAMBDA_UPDATE_DOCS=1 rewrites the docs section).
/// </summary>
[Collection("server")]
public sealed class BadRequestTests(ServerFixture fixture)
{
    private sealed record Case(string Name, string Method, string Path, string? Body, int Status, string? Key = ServerFixture.Key, string? ContentType = "application/json");

    private static string Chat(string extra) => "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + (extra.Length > 0 ? "," + extra : "") + "}";

    private static readonly Case[] s_cases =
    [
        new("malformed JSON", "POST", "/v1/chat/completions", "{\"messages\": [", 400),
        new("trailing garbage after the object", "POST", "/v1/chat/completions", Chat("") + " x", 400),
        new("empty body", "POST", "/v1/chat/completions", "", 400),
        new("body is an array", "POST", "/v1/chat/completions", "[1,2]", 400),
        new("body is JSON null", "POST", "/v1/chat/completions", "null", 400),
        new("body over the size limit", "POST", "/v1/chat/completions", Chat("\"user\":\"" + new string('x', (int)ServerFixture.BodyLimit) + "\""), 413),
        new("messages missing", "POST", "/v1/chat/completions", "{\"model\":\"stories260K\"}", 400),
        new("messages is a string", "POST", "/v1/chat/completions", "{\"messages\":\"hi\"}", 400),
        new("messages empty", "POST", "/v1/chat/completions", "{\"messages\":[]}", 400),
        new("message without role", "POST", "/v1/chat/completions", "{\"messages\":[{\"content\":\"hi\"}]}", 400),
        new("unknown role", "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", 400),
        new("content is a number", "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400),
        new("user message without content", "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\"}]}", 400),
        new("image content part", "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", 400),
        new("temperature is a string", "POST", "/v1/chat/completions", Chat("\"temperature\":\"hot\""), 400),
        new("temperature above 2", "POST", "/v1/chat/completions", Chat("\"temperature\":2.5"), 400),
        new("temperature negative", "POST", "/v1/chat/completions", Chat("\"temperature\":-1"), 400),
        new("top_p zero", "POST", "/v1/chat/completions", Chat("\"top_p\":0"), 400),
        new("max_tokens zero", "POST", "/v1/chat/completions", Chat("\"max_tokens\":0"), 400),
        new("max_tokens fractional", "POST", "/v1/chat/completions", Chat("\"max_tokens\":1.5"), 400),
        new("max_completion_tokens negative", "POST", "/v1/chat/completions", Chat("\"max_completion_tokens\":-5"), 400),
        new("n = 2", "POST", "/v1/chat/completions", Chat("\"n\":2"), 400),
        new("stop is a number", "POST", "/v1/chat/completions", Chat("\"stop\":7"), 400),
        new("stop array holds a number", "POST", "/v1/chat/completions", Chat("\"stop\":[\"a\",3]"), 400),
        new("stop array of 17", "POST", "/v1/chat/completions", Chat("\"stop\":[" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"s{i}\"")) + "]"), 400),
        new("empty stop string", "POST", "/v1/chat/completions", Chat("\"stop\":\"\""), 400),
        new("presence_penalty 3", "POST", "/v1/chat/completions", Chat("\"presence_penalty\":3"), 400),
        new("frequency_penalty -3", "POST", "/v1/chat/completions", Chat("\"frequency_penalty\":-3"), 400),
        new("top_logprobs without logprobs", "POST", "/v1/chat/completions", Chat("\"top_logprobs\":2"), 400),
        new("top_logprobs 21", "POST", "/v1/chat/completions", Chat("\"logprobs\":true,\"top_logprobs\":21"), 400),
        new("response_format json_schema", "POST", "/v1/chat/completions", Chat("\"response_format\":{\"type\":\"json_schema\"}"), 400),
        new("response_format unknown", "POST", "/v1/chat/completions", Chat("\"response_format\":{\"type\":\"xml\"}"), 400),
        new("stream is a string", "POST", "/v1/chat/completions", Chat("\"stream\":\"yes\""), 400),
        new("stream_options without stream", "POST", "/v1/chat/completions", Chat("\"stream_options\":{\"include_usage\":true}"), 400),
        new("seed is a string", "POST", "/v1/chat/completions", Chat("\"seed\":\"abc\""), 400),
        new("logit_bias given", "POST", "/v1/chat/completions", Chat("\"logit_bias\":{\"50\":10}"), 400),
        new("prompt longer than the context", "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + string.Concat(Enumerable.Repeat("once upon a time ", 200)) + "\"}]}", 400),
        new("no API key", "POST", "/v1/chat/completions", Chat(""), 401, Key: null),
        new("wrong API key", "POST", "/v1/chat/completions", Chat(""), 401, Key: "sk-wrong"),
        new("wrong method", "GET", "/v1/chat/completions", null, 405),
        new("unknown route", "GET", "/v1/nothing", null, 404),
        new("unknown model id", "GET", "/v1/models/gpt-4o", null, 404),
        new("completions: prompt missing", "POST", "/v1/completions", "{\"max_tokens\":5}", 400),
        new("completions: two prompts", "POST", "/v1/completions", "{\"prompt\":[\"a\",\"b\"]}", 400),
        new("completions: token id outside the vocabulary", "POST", "/v1/completions", "{\"prompt\":[1,99999]}", 400),
        new("completions: suffix", "POST", "/v1/completions", "{\"prompt\":\"a\",\"suffix\":\"b\"}", 400),
        new("completions: logprobs 6", "POST", "/v1/completions", "{\"prompt\":\"a\",\"logprobs\":6}", 400),
        new("completions: best_of 3", "POST", "/v1/completions", "{\"prompt\":\"a\",\"best_of\":3}", 400),
        new("embeddings: input missing", "POST", "/v1/embeddings", "{}", 400),
        new("embeddings: empty string", "POST", "/v1/embeddings", "{\"input\":\"\"}", 400),
        new("embeddings: input is an object", "POST", "/v1/embeddings", "{\"input\":{\"a\":1}}", 400),
        new("embeddings: encoding_format hex", "POST", "/v1/embeddings", "{\"input\":\"a\",\"encoding_format\":\"hex\"}", 400),
        new("embeddings: dimensions differ", "POST", "/v1/embeddings", "{\"input\":\"a\",\"dimensions\":3}", 400),
        new("ollama chat: messages missing", "POST", "/api/chat", "{\"model\":\"x\"}", 400),
        new("ollama chat: images", "POST", "/api/chat", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"images\":[\"AAAA\"]}]}", 400),
        new("ollama generate: temperature is a string", "POST", "/api/generate", "{\"prompt\":\"hi\",\"options\":{\"temperature\":\"x\"}}", 400),
        new("ollama generate: num_predict 0", "POST", "/api/generate", "{\"prompt\":\"hi\",\"options\":{\"num_predict\":0}}", 400),
        new("ollama generate: format yaml", "POST", "/api/generate", "{\"prompt\":\"hi\",\"format\":\"yaml\"}", 400),
        new("ollama embed: too long with truncate false", "POST", "/api/embed", "{\"input\":\"" + string.Concat(Enumerable.Repeat("once upon a time ", 200)) + "\",\"truncate\":false}", 400),
        new("metrics without key", "GET", "/metrics", null, 401, Key: null),
    ];

    [Fact]
    public async Task Each_bad_request_gets_its_status_and_a_message_naming_the_problem()
    {
        Assert.True(s_cases.Length >= 30);
        using var http = fixture.CreateClient(withKey: false);
        var table = new StringBuilder();
        table.AppendLine("| # | request | status | message |");
        table.AppendLine("|---|---|---|---|");
        var failures = new List<string>();
        int n = 0;
        foreach (Case c in s_cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            if (c.Body is not null) request.Content = new StringContent(c.Body, Encoding.UTF8, c.ContentType ?? "application/json");
            if (c.Key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", c.Key);
            using var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            string message = Message(body);
            if ((int)response.StatusCode != c.Status) failures.Add($"{c.Name}: expected {c.Status}, got {(int)response.StatusCode} {body}");
            if (string.IsNullOrWhiteSpace(message)) failures.Add($"{c.Name}: no message in {body}");
            if (body.Contains(".cs:line", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal)) failures.Add($"{c.Name}: leaks internals: {body}");
            table.AppendLine($"| {++n} | {c.Name} (`{c.Method} {c.Path}`) | {(int)response.StatusCode} | {message.Replace("|", "\\|")} |");
        }

        string markdown = table.ToString();
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "bad-requests.md"), markdown);
        if (Environment.GetEnvironmentVariable("LLAMBDA_UPDATE_DOCS") == "1") UpdateDocs(markdown);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Message(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            JsonElement error = doc.RootElement.GetProperty("error");
            return error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetProperty("message").GetString()!;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "";
        }
    }

    private static void UpdateDocs(string table)
    {
        string docs = Path.Combine(RepositoryRoot(), "docs", "server.md");
        string text = File.ReadAllText(docs);
        const string Begin = "<!-- bad-requests:begin -->", End = "<!-- bad-requests:end -->";
        int start = text.IndexOf(Begin, StringComparison.Ordinal), end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/server.md lacks the bad-requests markers");
        File.WriteAllText(docs, text[..(start + Begin.Length)] + "\n" + table + text[end..]);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Llambda.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Llambda.slnx not found above " + AppContext.BaseDirectory);
    }
}
