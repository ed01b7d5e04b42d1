using System.Text;
using System.Text.Json;

namespace Llambda.Lambda.Events;

/// <summary>
/// An HTTP request carried in a Lambda event, in one shape whatever the source: the method, the path with its query
/// string, the headers and the body bytes. <see cref="Parse"/> reads the three event formats; <see cref="HttpEventResponse"/>
/// writes the answer back in the format the source expects.
/// </summary>
public sealed record HttpEvent
{
    public required EventKind Kind { get; init; }
    public required string Method { get; init; }

    /// <summary>The path, as the client sent it (percent-encoding kept).</summary>
    public required string Path { get; init; }

    /// <summary>The query string without the leading '?', encoded (empty when none).</summary>
    public string Query { get; init; } = "";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public byte[] Body { get; init; } = [];

    /// <summary>True for a Function URL (its domain is <c>*.lambda-url.*</c>), the one source that can stream.</summary>
    public bool IsFunctionUrl { get; init; }

    /// <summary>ALB: the request used multi-value headers, so the response must too.</summary>
    public bool MultiValueHeaders { get; init; }

    public string PathAndQuery => Query.Length == 0 ? Path : Path + "?" + Query;

    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public static HttpEvent Parse(JsonElement root, EventKind kind) => kind switch
    {
        EventKind.HttpV2 => ParseV2(root),
        EventKind.HttpV1 or EventKind.Alb => ParseV1(root, kind),
        _ => throw new ArgumentException($"A {kind} event is not an HTTP request."),
    };

    /// <summary>Format 2.0 (Function URLs, HTTP APIs): <c>requestContext.http.method</c>, <c>rawPath</c>, <c>rawQueryString</c>, comma-joined headers, a <c>cookies</c> array.</summary>
    private static HttpEvent ParseV2(JsonElement root)
    {
        var context = root.GetProperty("requestContext");
        var http = context.GetProperty("http");
        var headers = new List<KeyValuePair<string, string>>();
        if (root.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
            foreach (var p in h.EnumerateObject()) headers.Add(new(p.Name, ValueText(p.Value)));
        // Format 2.0 moves cookies out of the headers; the server reads them from Cookie again.
        if (root.TryGetProperty("cookies", out var cookies) && cookies.ValueKind == JsonValueKind.Array && cookies.GetArrayLength() > 0)
            headers.Add(new("Cookie", string.Join("; ", cookies.EnumerateArray().Select(c => c.GetString()))));
        string domain = context.TryGetProperty("domainName", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        return new HttpEvent
        {
            Kind = EventKind.HttpV2,
            Method = Text(http, "method") ?? "GET",
            Path = Text(root, "rawPath") ?? Text(http, "path") ?? "/",
            Query = Text(root, "rawQueryString") ?? "",
            Headers = headers,
            Body = ReadBody(root),
            IsFunctionUrl = domain.Contains(".lambda-url.", StringComparison.Ordinal),
        };
    }

    /// <summary>
    /// Format 1.0 (REST APIs) and ALB: <c>httpMethod</c>, <c>path</c>, and single- or multi-value headers and query
    /// parameters. REST decodes query values (we encode them again); ALB passes them as the client sent them.
    /// </summary>
    private static HttpEvent ParseV1(JsonElement root, EventKind kind)
    {
        var headers = new List<KeyValuePair<string, string>>();
        bool multi = root.TryGetProperty("multiValueHeaders", out var mh) && mh.ValueKind == JsonValueKind.Object;
        if (multi)
        {
            foreach (var p in mh.EnumerateObject())
                foreach (var v in p.Value.EnumerateArray()) headers.Add(new(p.Name, ValueText(v)));
        }
        else if (root.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in h.EnumerateObject()) headers.Add(new(p.Name, ValueText(p.Value)));
        }

        bool encodeQuery = kind == EventKind.HttpV1;
        var query = new List<string>();
        if (root.TryGetProperty("multiValueQueryStringParameters", out var mq) && mq.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in mq.EnumerateObject())
                foreach (var v in p.Value.EnumerateArray()) query.Add(QueryPair(p.Name, ValueText(v), encodeQuery));
        }
        else if (root.TryGetProperty("queryStringParameters", out var q) && q.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in q.EnumerateObject()) query.Add(QueryPair(p.Name, ValueText(p.Value), encodeQuery));
        }

        return new HttpEvent
        {
            Kind = kind,
            Method = Text(root, "httpMethod") ?? "GET",
            Path = Text(root, "path") ?? "/",
            Query = string.Join('&', query),
            Headers = headers,
            Body = ReadBody(root),
            MultiValueHeaders = multi,
        };
    }

    private static string QueryPair(string name, string value, bool encode) =>
        encode ? Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value) : name + "=" + value;

    private static byte[] ReadBody(JsonElement root)
    {
        if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.String) return [];
        bool base64 = root.TryGetProperty("isBase64Encoded", out var b) && b.ValueKind == JsonValueKind.True;
        string text = body.GetString()!;
        return base64 ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string ValueText(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
}
