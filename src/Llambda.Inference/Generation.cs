namespace Llambda.Inference;

/// <summary>Why generation ended. The names follow what APIs report (OpenAI's finish_reason).</summary>
public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token, or a stop string appeared.</summary>
    Stop,

    /// <summary>The requested number of tokens was produced.</summary>
    Length,

    /// <summary>The context window is full.</summary>
    ContextFull,

    /// <summary>The deadline (e.g. a Lambda function's) came close; the text so far is returned.</summary>
    Deadline,

    /// <summary>The caller cancelled (a client disconnected).</summary>
    Cancelled,
}

/// <summary>What to generate and when to stop.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to generate at most (null: until the context is full).</summary>
    public int? MaxTokens { get; init; } = 256;

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Strings that end generation; they are not included in the output.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Keep going past end-of-generation tokens (benchmarks, reference runs).</summary>
    public bool IgnoreEndOfGeneration { get; init; }

    /// <summary>Stop before this instant (the caller's deadline minus its safety margin).</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Also report the log-probability and the top alternatives of each token (0: none).</summary>
    public int TopLogprobs { get; init; } = -1;
}

/// <summary>One generated token, with the text it completes (possibly empty while a character or stop string is pending).</summary>
public readonly record struct GeneratedToken(int TokenId, string Text, float? Logprob, IReadOnlyList<(int TokenId, float Logprob)>? TopLogprobs);

/// <summary>Totals for one generation, with the timings people compare engines by.</summary>
public sealed record GenerationResult
{
    public required FinishReason FinishReason { get; init; }
    public required int PromptTokens { get; init; }
    public required int CompletionTokens { get; init; }

    /// <summary>Prompt tokens actually evaluated (fewer than <see cref="PromptTokens"/> when a cached prefix was reused).</summary>
    public required int PromptTokensEvaluated { get; init; }

    public required TimeSpan PromptTime { get; init; }

    /// <summary>Time spent evaluating generated tokens (the first comes from the prompt's logits and costs none).</summary>
    public required TimeSpan GenerationTime { get; init; }

    /// <summary>Generated tokens fed back through the model (<see cref="GenerationTime"/> covers these).</summary>
    public required int DecodeSteps { get; init; }

    /// <summary>Text released after the last token (held-back bytes or a pending stop-string prefix).</summary>
    public string TrailingText { get; init; } = "";

    public double PromptTokensPerSecond => PromptTime.TotalSeconds > 0 ? PromptTokensEvaluated / PromptTime.TotalSeconds : 0;
    public double TokensPerSecond => GenerationTime.TotalSeconds > 0 ? DecodeSteps / GenerationTime.TotalSeconds : 0;
}
