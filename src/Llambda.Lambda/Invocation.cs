using System.Globalization;

namespace Llambda.Lambda;

/// <summary>
/// One event handed to the function by <c>GET /2018-06-01/runtime/invocation/next</c>: the body is the event, the
/// <c>Lambda-Runtime-*</c> headers say who asked and how long we have.
/// </summary>
public sealed record Invocation
{
    /// <summary><c>Lambda-Runtime-Aws-Request-Id</c>: names the invocation in the response or error we post back.</summary>
    public required string RequestId { get; init; }

    /// <summary>
    /// <c>Lambda-Runtime-Deadline-Ms</c> as an instant, or null when the header is missing or cannot be a wall-clock
    /// time (@vercel/fun, for one, sends a constant "5000"); without it we rely on token limits alone.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary><c>Lambda-Runtime-Invoked-Function-Arn</c>.</summary>
    public string? FunctionArn { get; init; }

    /// <summary><c>Lambda-Runtime-Trace-Id</c>: the X-Ray header the runtime exposes as <c>_X_AMZN_TRACE_ID</c>.</summary>
    public string? TraceId { get; init; }

    /// <summary><c>Lambda-Runtime-Client-Context</c>: JSON from mobile SDK callers, passed through untouched.</summary>
    public string? ClientContext { get; init; }

    /// <summary><c>Lambda-Runtime-Cognito-Identity</c>: JSON from Cognito-authenticated callers.</summary>
    public string? CognitoIdentity { get; init; }

    /// <summary>The event, as sent (JSON for every source we serve).</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>When we received it: deadline margins are measured against the time the invocation really had.</summary>
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.UtcNow;

    // Anything before this is a duration or a placeholder, not an epoch in milliseconds of a real deadline.
    private static readonly DateTimeOffset s_earliestPlausibleDeadline = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads <c>Lambda-Runtime-Deadline-Ms</c> (Unix epoch milliseconds); null when absent or implausible.</summary>
    public static DateTimeOffset? ParseDeadline(string? header)
    {
        if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out long ms)) return null;
        if (ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()) return null;
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return deadline < s_earliestPlausibleDeadline ? null : deadline;
    }
}
