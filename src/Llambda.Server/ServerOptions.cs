namespace Llambda.Server;

/// <summary>Everything <c>llambda serve</c> can be told. The defaults suit a laptop; Lambda and containers override a few.</summary>
public sealed record ServerOptions
{
    /// <summary>The GGUF file to serve (already resolved to a local path).</summary>
    public required string ModelPath { get; init; }

    /// <summary>The id clients see in <c>/v1/models</c> and responses (default: the file name without <c>.gguf</c>).</summary>
    public string? ModelId { get; init; }

    /// <summary>Interface to listen on. 127.0.0.1 keeps a laptop server private; containers pass 0.0.0.0.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (0: any free port; the bound address is in <see cref="LlambdaServer.Addresses"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every API route needs <c>Authorization: Bearer KEY</c>; <c>/</c> and <c>/health</c> stay open.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Context length of each slot's session (0: the model's, capped at 4096).</summary>
    public int ContextLength { get; init; }

    /// <summary>Kernel worker threads (0: one per CPU).</summary>
    public int Threads { get; init; }

    /// <summary>Generations that run at once; each slot owns a KV cache.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Requests that may wait for a slot; one more gets 429 (-1: 4 × <see cref="Parallel"/>).</summary>
    public int QueueLimit { get; init; } = -1;

    /// <summary>Largest request body accepted; a larger one gets 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Tokens generated when the request names no limit.</summary>
    public int DefaultMaxTokens { get; init; } = 512;

    internal int EffectiveQueueLimit => QueueLimit >= 0 ? QueueLimit : 4 * Math.Max(1, Parallel);

    /// <summary>The model id clients see.</summary>
    public string EffectiveModelId => !string.IsNullOrWhiteSpace(ModelId)
        ? ModelId
        : Path.GetFileNameWithoutExtension(ModelPath);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("A model path is required.");
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be in 0..65535, got {Port}.");
        if (Parallel < 1) throw new ArgumentException($"--parallel must be at least 1, got {Parallel}.");
        if (ContextLength < 0) throw new ArgumentException($"--ctx must be positive, got {ContextLength}.");
        if (Threads < 0) throw new ArgumentException($"--threads must be positive, got {Threads}.");
        if (MaxRequestBodyBytes < 1024) throw new ArgumentException($"The body limit must be at least 1024 bytes, got {MaxRequestBodyBytes}.");
        if (DefaultMaxTokens < 1) throw new ArgumentException($"The default max tokens must be at least 1, got {DefaultMaxTokens}.");
        if (ApiKey is { Length: 0 }) throw new ArgumentException("--api-key must not be empty.");
    }
}
