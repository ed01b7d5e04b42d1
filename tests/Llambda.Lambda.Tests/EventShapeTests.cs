using System.Text;
using System.Text.Json;
using Llambda.Lambda.Events;

namespace Llambda.Lambda.Tests;

/// <summary>Reading each source's event and writing each source's response (no model, no server).</summary>
public class EventShapeTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Classifies_every_source_by_its_documented_fields()
    {
        Assert.Equal(EventKind.HttpV2, EventClassifier.Classify(Json(SampleEvents.FunctionUrl("GET", "/health"))));
        Assert.Equal(EventKind.HttpV2, EventClassifier.Classify(Json(SampleEvents.HttpApi("GET", "/health"))));
        Assert.Equal(EventKind.HttpV1, EventClassifier.Classify(Json(SampleEvents.RestApi("GET", "/health"))));
        Assert.Equal(EventKind.Alb, EventClassifier.Classify(Json(SampleEvents.Alb("GET", "/health"))));
        Assert.Equal(EventKind.WarmUp, EventClassifier.Classify(Json(SampleEvents.Scheduled)));
        Assert.Equal(EventKind.WarmUp, EventClassifier.Classify(Json("""{"warmup": true}""")));
        Assert.Equal(EventKind.Direct, EventClassifier.Classify(Json("""{"warmup": false, "prompt": "x"}""")));
        Assert.Equal(EventKind.Direct, EventClassifier.Classify(Json("""{"prompt": "Once", "n-generate": 8}""")));
        Assert.Equal(EventKind.Direct, EventClassifier.Classify(Json("""{"messages": [{"role": "user", "content": "hi"}]}""")));
    }

    [Fact]
    public void Function_url_event_keeps_raw_path_query_cookies_and_body()
    {
        var e = HttpEvent.Parse(Json(SampleEvents.FunctionUrl("POST", "/v1/completions", new { prompt = "a" }, "x=1&y=a%20b", ["a=1", "b=2"])), EventKind.HttpV2);
        Assert.True(e.IsFunctionUrl);
        Assert.Equal("POST", e.Method);
        Assert.Equal("/v1/completions?x=1&y=a%20b", e.PathAndQuery);
        Assert.Equal("a=1; b=2", e.Header("Cookie"));
        Assert.Equal("""{"prompt":"a"}""", Encoding.UTF8.GetString(e.Body));
        Assert.False(HttpEvent.Parse(Json(SampleEvents.HttpApi("GET", "/")), EventKind.HttpV2).IsFunctionUrl);
    }

    [Fact]
    public void Rest_event_encodes_decoded_query_values_and_reads_multi_value_headers()
    {
        var e = HttpEvent.Parse(Json(SampleEvents.RestApi("GET", "/api/tags", query: new() { ["q"] = "a b&c" })), EventKind.HttpV1);
        Assert.Equal("/api/tags?q=a%20b%26c", e.PathAndQuery);
        Assert.Equal("application/json", e.Header("content-type"));
        Assert.True(e.MultiValueHeaders);
    }

    [Fact]
    public void Base64_bodies_are_decoded()
    {
        string ev = SampleEvents.HttpApi("POST", "/x").Replace("\"body\":null", $"\"body\":\"{Convert.ToBase64String([0, 1, 2, 255])}\"").Replace("\"isBase64Encoded\":false", "\"isBase64Encoded\":true");
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, HttpEvent.Parse(Json(ev), EventKind.HttpV2).Body);
    }

    [Fact]
    public void V2_response_moves_set_cookie_to_cookies()
    {
        var request = HttpEvent.Parse(Json(SampleEvents.HttpApi("GET", "/")), EventKind.HttpV2);
        var response = new HttpEventResponse(201, [new("Content-Type", "application/json"), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2"), new("X-A", "1"), new("x-a", "2")], "{}"u8.ToArray());
        var json = Json(Encoding.UTF8.GetString(response.ToJsonUtf8(request)));
        Assert.Equal(201, json.GetProperty("statusCode").GetInt32());
        Assert.Equal(["a=1", "b=2"], json.GetProperty("cookies").EnumerateArray().Select(c => c.GetString()!));
        Assert.False(json.GetProperty("headers").TryGetProperty("Set-Cookie", out _));
        Assert.Equal("1, 2", json.GetProperty("headers").GetProperty("X-A").GetString());
        Assert.Equal("{}", json.GetProperty("body").GetString());
        Assert.False(json.GetProperty("isBase64Encoded").GetBoolean());
    }

    [Fact]
    public void V1_and_alb_responses_use_their_header_styles_and_binary_goes_base64()
    {
        var rest = HttpEvent.Parse(Json(SampleEvents.RestApi("GET", "/")), EventKind.HttpV1);
        var png = new HttpEventResponse(200, [new("Content-Type", "image/png"), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2")], [137, 80, 78, 71]);
        var v1 = Json(Encoding.UTF8.GetString(png.ToJsonUtf8(rest)));
        Assert.Equal(["a=1", "b=2"], v1.GetProperty("multiValueHeaders").GetProperty("Set-Cookie").EnumerateArray().Select(c => c.GetString()!));
        Assert.True(v1.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(Convert.ToBase64String([137, 80, 78, 71]), v1.GetProperty("body").GetString());

        var alb = HttpEvent.Parse(Json(SampleEvents.Alb("GET", "/", multiValue: true)), EventKind.Alb);
        var albJson = Json(Encoding.UTF8.GetString(new HttpEventResponse(404, [new("Content-Type", "application/json")], "{}"u8.ToArray()).ToJsonUtf8(alb)));
        Assert.Equal("404 Not Found", albJson.GetProperty("statusDescription").GetString());
        Assert.True(albJson.TryGetProperty("multiValueHeaders", out _));
        Assert.False(albJson.TryGetProperty("headers", out _));
    }

    [Fact]
    public void Direct_payloads_accept_the_existing_prompt_shape_and_openai_chat()
    {
        var p = DirectInvokeRequest.Parse(Json("""{"prompt": "Once", "n-generate": "64", "temperature": 0, "stop": "\n", "stream": true}"""));
        Assert.Equal("Once", p.Prompt);
        Assert.Equal(64, p.MaxTokens);
        Assert.True(p.Sampling.IsGreedy);
        Assert.Equal(["\n"], p.Stop);
        Assert.True(p.Stream);
        Assert.Equal(12, DirectInvokeRequest.Parse(Json("""{"prompt": "x", "max_tokens": 12}""")).MaxTokens);

        var chat = DirectInvokeRequest.Parse(Json("""{"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}], "max_completion_tokens": 5}"""));
        Assert.True(chat.IsChat);
        Assert.Equal("Hi", chat.Messages![1].Content);
        Assert.Equal(5, chat.MaxTokens);

        Assert.Contains("neither 'prompt' nor 'messages'", Assert.Throws<ArgumentException>(() => DirectInvokeRequest.Parse(Json("""{"text": "x"}"""))).Message);
        Assert.Contains("'n-generate' must be an integer", Assert.Throws<ArgumentException>(() => DirectInvokeRequest.Parse(Json("""{"prompt": "x", "n-generate": "many"}"""))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => DirectInvokeRequest.Parse(Json("""{"prompt": "x", "temperature": -1}"""))).Message);
    }

    [Fact]
    public void Deadline_policy_keeps_the_smaller_of_the_margin_and_the_fraction()
    {
        var now = DateTimeOffset.UtcNow;
        Invocation At(TimeSpan budget) => new() { RequestId = "r", Payload = Array.Empty<byte>(), ReceivedAt = now, Deadline = now + budget };
        var policy = DeadlinePolicy.Default;
        Assert.Equal(now + TimeSpan.FromSeconds(900) - TimeSpan.FromSeconds(1.5), policy.StopAt(At(TimeSpan.FromSeconds(900))));
        Assert.Equal(now + TimeSpan.FromSeconds(1.5), policy.StopAt(At(TimeSpan.FromSeconds(2))));
        Assert.Equal(now, policy.StopAt(At(TimeSpan.FromSeconds(-1))));
        Assert.Null(policy.StopAt(new Invocation { RequestId = "r", Payload = Array.Empty<byte>() }));
    }

    [Fact]
    public void Deadline_header_must_be_a_wall_clock_epoch()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), Invocation.ParseDeadline("1700000000123"));
        // @vercel/fun sends a constant 5000: a duration, not an instant. Treated as no deadline.
        Assert.Null(Invocation.ParseDeadline("5000"));
        Assert.Null(Invocation.ParseDeadline(null));
        Assert.Null(Invocation.ParseDeadline("soon"));
    }
}
