using System.Globalization;

namespace Llambda.Lambda;

/// <summary>How to respond to HTTP events from a Function URL.</summary>
public enum FunctionUrlMode
{
    /// <summary>Stream (the URL must be in RESPONSE_STREAM mode, as deploy/template.yaml sets it).</summary>
    Streaming,

    /// <summary>Answer with one JSON response (a URL in BUFFERED mode).</summary>
    Buffered,
}

/// <summary>
/// What the runtime is told, mostly through the function's environment (a Lambda function has no command line):
/// see docs/lambda.md for the table.
/// </summary>
public sealed record LambdaOptions
{
    /// <summary><c>AWS_LAMBDA_RUNTIME_API</c>: host:port of the Runtime API.</summary>
    public required string RuntimeApi { get; init; }

    /// <summary><c>LLAMBDA_MODEL</c>: a path, a name, or an https/s3/hf reference fetched to /tmp on first start.</summary>
    public string? Model { get; init; }

    /// <summary><c>LLAMBDA_THREADS</c> (0: one per visible vCPU).</summary>
    public int Threads { get; init; }

    /// <summary><c>LLAMBDA_CTX</c> (0: the model's, capped at 4096).</summary>
    public int ContextLength { get; init; }

    /// <summary><c>LLAMBDA_MAX_TOKENS</c>: tokens generated when a request names no limit.</summary>
    public int DefaultMaxTokens { get; init; } = 256;

    /// <summary><c>LLAMBDA_API_KEY</c>: when set, HTTP routes need <c>Authorization: Bearer KEY</c> (direct invokes are authorised by IAM).</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// <c>LLAMBDA_INIT_BUDGET_MS</c>: how long the init phase waits for the model (Lambda allows 10 s). A load still
    /// running then goes on in the background and the first invocation waits for it instead of init failing.
    /// </summary>
    public TimeSpan InitBudget { get; init; } = TimeSpan.FromSeconds(8);

    public DeadlinePolicy Deadline { get; init; } = DeadlinePolicy.Default;

    /// <summary><c>LLAMBDA_FUNCTION_URL_MODE</c>: <c>streaming</c> (default) or <c>buffered</c>.</summary>
    public FunctionUrlMode FunctionUrlMode { get; init; } = FunctionUrlMode.Streaming;

    /// <summary>Reads the options from <paramref name="environment"/> (default: this process's).</summary>
    public static LambdaOptions FromEnvironment(IReadOnlyDictionary<string, string?>? environment = null)
    {
        string? Get(string name) => environment is null ? Environment.GetEnvironmentVariable(name) : environment.GetValueOrDefault(name);
        string runtimeApi = Get("AWS_LAMBDA_RUNTIME_API") is { Length: > 0 } api
            ? api
            : throw new ArgumentException("AWS_LAMBDA_RUNTIME_API is not set: `llambda lambda` runs inside AWS Lambda (or an emulator that sets it).");

        int Int(string name, int fallback, int min)
        {
            string? text = Get(name);
            if (string.IsNullOrWhiteSpace(text)) return fallback;
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min
                ? v
                : throw new ArgumentException($"{name} must be an integer >= {min}, got '{text}'.");
        }

        double fraction = DeadlinePolicy.Default.Fraction;
        if (Get("LLAMBDA_DEADLINE_FRACTION") is { Length: > 0 } f && !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out fraction))
            throw new ArgumentException($"LLAMBDA_DEADLINE_FRACTION must be a number, got '{f}'.");

        var options = new LambdaOptions
        {
            RuntimeApi = runtimeApi,
            Model = Get("LLAMBDA_MODEL") is { Length: > 0 } model ? model : null,
            Threads = Int("LLAMBDA_THREADS", 0, 0),
            ContextLength = Int("LLAMBDA_CTX", 0, 0),
            DefaultMaxTokens = Int("LLAMBDA_MAX_TOKENS", 256, 1),
            ApiKey = Get("LLAMBDA_API_KEY") is { Length: > 0 } key ? key : null,
            InitBudget = TimeSpan.FromMilliseconds(Int("LLAMBDA_INIT_BUDGET_MS", 8000, 0)),
            Deadline = new DeadlinePolicy
            {
                Margin = TimeSpan.FromMilliseconds(Int("LLAMBDA_DEADLINE_MARGIN_MS", 1500, 0)),
                Fraction = fraction,
            },
            FunctionUrlMode = (Get("LLAMBDA_FUNCTION_URL_MODE") ?? "streaming").Trim().ToLowerInvariant() switch
            {
                "" or "streaming" or "response_stream" => FunctionUrlMode.Streaming,
                "buffered" => FunctionUrlMode.Buffered,
                var other => throw new ArgumentException($"LLAMBDA_FUNCTION_URL_MODE must be 'streaming' or 'buffered', got '{other}'."),
            },
        };
        options.Deadline.Validate();
        return options;
    }
}
