using System.Text.Json;

namespace Llambda.Lambda;

/// <summary>
/// An error as the Runtime API wants it: <c>errorType</c> goes in the <c>Lambda-Runtime-Function-Error-Type</c>
/// header, and the body is <c>{"errorMessage", "errorType", "stackTrace"}</c>. Messages are for the caller, so they
/// never carry a .NET stack trace (the log has it).
/// </summary>
public sealed record RuntimeError(string ErrorType, string ErrorMessage)
{
    /// <summary>The request could not be understood (bad JSON, no prompt); the caller must change it.</summary>
    public static RuntimeError InvalidRequest(string message) => new("Llambda.InvalidRequest", message);

    /// <summary>The model could not be fetched or loaded; retrying the same configuration will not help.</summary>
    public static RuntimeError ModelLoadFailed(string message) => new("Llambda.ModelLoadFailed", message);

    /// <summary>The deadline arrived before any answer could be given.</summary>
    public static RuntimeError DeadlineExceeded(string message) => new("Llambda.DeadlineExceeded", message);

    /// <summary>Anything else: a bug, reported by exception type only.</summary>
    public static RuntimeError Internal(Exception e) => new("Llambda.InternalError", $"{e.GetType().Name}: {e.Message}");

    public byte[] ToJsonUtf8()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("errorMessage", ErrorMessage);
            json.WriteString("errorType", ErrorType);
            json.WriteStartArray("stackTrace");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
