using System.Text.Json;

namespace Llambda.Lambda.Events;

/// <summary>Where an event came from, which decides how it is read and how the answer must be shaped.</summary>
public enum EventKind
{
    /// <summary><c>{"warmup": true}</c> or an EventBridge schedule: keep the instance warm, run nothing.</summary>
    WarmUp,

    /// <summary><c>aws lambda invoke</c> / the SDK: a prompt payload or an OpenAI chat-completions body.</summary>
    Direct,

    /// <summary>A Function URL or an API Gateway HTTP API (payload format 2.0).</summary>
    HttpV2,

    /// <summary>An API Gateway REST API, or an HTTP API with payload format 1.0.</summary>
    HttpV1,

    /// <summary>An Application Load Balancer target group.</summary>
    Alb,
}

public static class EventClassifier
{
    /// <summary>
    /// Tells the sources apart by the fields each one always sends (the shapes are documented per service):
    /// ALB has <c>requestContext.elb</c>; format 2.0 has <c>version: "2.0"</c> and <c>requestContext.http</c>;
    /// REST has <c>httpMethod</c> and <c>requestContext</c>; EventBridge has <c>source: "aws.events"</c>.
    /// Anything else is a direct invocation.
    /// </summary>
    public static EventKind Classify(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return EventKind.Direct;
        if (root.TryGetProperty("warmup", out var warm) && warm.ValueKind == JsonValueKind.True) return EventKind.WarmUp;
        if (root.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.String && source.GetString() == "aws.events")
            return EventKind.WarmUp;
        if (root.TryGetProperty("requestContext", out var context) && context.ValueKind == JsonValueKind.Object)
        {
            if (context.TryGetProperty("elb", out _)) return EventKind.Alb;
            if (context.TryGetProperty("http", out _) && root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == "2.0")
                return EventKind.HttpV2;
            if (root.TryGetProperty("httpMethod", out _)) return EventKind.HttpV1;
        }
        return EventKind.Direct;
    }
}
