using System.Text;
using System.Text.Json;

namespace Llambda.Lambda.Events;

/// <summary>
/// An HTTP answer written back as the buffered JSON each source reads: format 2.0 takes <c>cookies</c> apart from
/// the headers, format 1.0 takes <c>multiValueHeaders</c>, ALB wants a <c>statusDescription</c> and the header style
/// its request used. Binary bodies travel base64-encoded.
/// </summary>
public sealed record HttpEventResponse(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Text bodies go as text (readable in logs and consoles); anything else as base64.</summary>
    public static bool IsTextContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return true; // error pages and empty bodies
        string type = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return type.StartsWith("text/", StringComparison.Ordinal) || type.EndsWith("json", StringComparison.Ordinal)
            || type.EndsWith("+json", StringComparison.Ordinal) || type.EndsWith("xml", StringComparison.Ordinal)
            || type is "application/javascript" or "application/x-ndjson" or "application/x-www-form-urlencoded"
            || contentType.Contains("charset=", StringComparison.OrdinalIgnoreCase);
    }

    public byte[] ToJsonUtf8(HttpEvent request)
    {
        bool text = IsTextContentType(Header("Content-Type"));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("statusCode", StatusCode);
            var plain = Headers.Where(h => request.Kind != EventKind.HttpV2 || !IsSetCookie(h.Key)).ToList();
            switch (request.Kind)
            {
                case EventKind.HttpV2:
                    WriteJoined(json, "headers", plain);
                    json.WriteStartArray("cookies");
                    foreach (var h in Headers.Where(h => IsSetCookie(h.Key))) json.WriteStringValue(h.Value);
                    json.WriteEndArray();
                    break;
                case EventKind.HttpV1:
                    // Single-value headers cannot hold two Set-Cookie lines; multiValueHeaders can, and API Gateway merges both.
                    WriteJoined(json, "headers", plain.Where(h => !IsSetCookie(h.Key)));
                    WriteMulti(json, "multiValueHeaders", plain);
                    break;
                case EventKind.Alb:
                    json.WriteString("statusDescription", $"{StatusCode} {ReasonPhrase(StatusCode)}");
                    if (request.MultiValueHeaders) WriteMulti(json, "multiValueHeaders", plain);
                    else WriteJoined(json, "headers", plain);
                    break;
                default:
                    throw new ArgumentException($"A {request.Kind} event has no HTTP response.");
            }
            json.WriteString("body", text ? Encoding.UTF8.GetString(Body) : Convert.ToBase64String(Body));
            json.WriteBoolean("isBase64Encoded", !text);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsSetCookie(string name) => string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase);

    private static void WriteJoined(Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, string>> headers)
    {
        json.WriteStartObject(name);
        foreach (var group in headers.GroupBy(h => h.Key.ToLowerInvariant()))
            json.WriteString(group.First().Key, string.Join(", ", group.Select(h => h.Value)));
        json.WriteEndObject();
    }

    private static void WriteMulti(Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, string>> headers)
    {
        json.WriteStartObject(name);
        foreach (var group in headers.GroupBy(h => h.Key.ToLowerInvariant()))
        {
            json.WriteStartArray(group.First().Key);
            foreach (var h in group) json.WriteStringValue(h.Value);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Unknown";
}
