using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Llambda.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Llambda.Server;

/// <summary>
/// A failure the client can act on: the status and message go out as they are, in OpenAI's error shape
/// (<c>{"error":{"message","type","param","code"}}</c>) or, on the Ollama routes, Ollama's (<c>{"error":"..."}</c>).
/// </summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type ?? (status >= 500 ? "server_error" : "invalid_request_error");

    /// <summary>Seconds a client should wait before retrying (429, 503), sent as <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);
}

/// <summary>Turns exceptions into responses: API errors as they are, everything else as a generic 500 that is logged, never shown.</summary>
internal static class ErrorHandling
{
    public static void UseApiErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Llambda.Server.Errors");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is nobody to answer.
            }
            catch (ApiException e)
            {
                await WriteErrorAsync(context, e);
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's own checks: the body limit (413), a truncated body, bad framing.
                string message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"The request body is larger than the server's limit of {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes."
                    : "The request could not be read: " + e.Message;
                await WriteErrorAsync(context, new ApiException(e.StatusCode, message, code: e.StatusCode == 413 ? "request_too_large" : null));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                await WriteErrorAsync(context, new ApiException(500, "The server had an internal error while processing your request; it has been logged.", code: "internal_error"));
            }
        });
    }

    /// <summary>Writes <paramref name="error"/> unless the response already started (then the connection is cut: a half-sent stream cannot turn into an error).</summary>
    public static async Task WriteErrorAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        if (error.RetryAfterSeconds is int retry) context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (error.Status == 401) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (IsOllamaRoute(context.Request.Path))
            await context.Response.WriteAsJsonAsync(new OllamaError { Error = error.Message }, ServerJsonContext.Wire.OllamaError);
        else
            await context.Response.WriteAsJsonAsync(ToBody(error), ServerJsonContext.Wire.ErrorResponse);
    }

    public static ErrorResponse ToBody(ApiException error) =>
        new() { Error = new ErrorBody { Message = error.Message, Type = error.Type, Param = error.Param, Code = error.Code } };

    public static bool IsOllamaRoute(PathString path) => path.StartsWithSegments("/api");

    /// <summary>
    /// Reads the body as <typeparamref name="T"/>. Syntax errors, wrong types and oversized bodies become 400/413
    /// naming the field (from the serializer's JSON path) and the type it should have.
    /// </summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> info) where T : class
    {
        T? value;
        try
        {
            value = await JsonSerializer.DeserializeAsync(context.Request.Body, info, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw FromJsonException(e, info);
        }
        return value ?? throw ApiException.BadRequest("The request body must be a JSON object, not null.");
    }

    private static readonly Regex s_pathSegment = new(@"\.([^.\[]+)|\[(\d+)\]|\['((?:[^']|'')*)'\]", RegexOptions.CultureInvariant);

    internal static ApiException FromJsonException(JsonException e, JsonTypeInfo root)
    {
        string path = e.Path ?? "$";
        string? param = path == "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path[1..];
        bool typeError = e.Message.Contains("could not be converted", StringComparison.Ordinal);
        if (typeError)
        {
            string expected = ExpectedType(root, path);
            return param is null
                ? ApiException.BadRequest($"The request body must be {expected}.")
                : ApiException.BadRequest($"Invalid type for '{param}': expected {expected}.", param, "invalid_type");
        }
        if (e.Message.Contains("does not contain any JSON tokens", StringComparison.Ordinal) && e.BytePositionInLine is 0 or null && e.LineNumber is 0 or null)
            return ApiException.BadRequest("The request body is empty; send a JSON object.", code: "invalid_json");

        // A syntax error: the reader's own sentence says what is wrong ("'}' is invalid after a property name").
        string reason = e.InnerException?.Message ?? e.Message;
        int cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut];
        return ApiException.BadRequest(
            $"The request body is not valid JSON: {reason.TrimEnd('.', ' ')} (line {(e.LineNumber ?? 0) + 1}, byte {e.BytePositionInLine ?? 0}).",
            param, "invalid_json");
    }

    /// <summary>Walks the contract along a JSON path to say what the value there should have been.</summary>
    private static string ExpectedType(JsonTypeInfo root, string path)
    {
        JsonTypeInfo info = root;
        foreach (Match m in s_pathSegment.Matches(path))
        {
            Type? next;
            if (m.Groups[2].Success)
            {
                next = info.ElementType;
            }
            else
            {
                string name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[3].Value.Replace("''", "'");
                next = info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType;
                next ??= info.Kind == JsonTypeInfoKind.Dictionary ? info.ElementType : null;
            }
            if (next is null) return "a different value";
            info = info.Options.GetTypeInfo(next);
        }
        return Describe(info.Type);
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "a boolean";
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(float) || type == typeof(double)) return "a number";
        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))) return "an array";
        return "a JSON object";
    }
}
