namespace Llambda.Inference;

/// <summary>
/// How the next token is chosen from the logits. Temperature 0 is greedy (argmax). The filters run in llama.cpp's
/// order: penalties, top-k, temperature-scaled softmax, top-p, min-p, then a draw from the seeded generator.
/// </summary>
public sealed record SamplingOptions
{
    public static readonly SamplingOptions Greedy = new() { Temperature = 0 };

    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the k most likely tokens (0: all).</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest set of tokens whose probability reaches p (1: all).</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens less likely than min-p × the most likely one's probability (0: none).</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive logits (multiplies negative ones) of recently seen tokens (1: off).</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    /// <summary>Subtracted once from the logit of every recently seen token (OpenAI's presence_penalty).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence from the logit of recently seen tokens (OpenAI's frequency_penalty).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>How many of the last tokens the penalties look at (-1: the whole context).</summary>
    public int PenaltyLastN { get; init; } = 64;

    /// <summary>Seed for the draw; null picks one at random.</summary>
    public ulong? Seed { get; init; }

    public bool IsGreedy => Temperature <= 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0) throw new ArgumentException($"temperature must be >= 0, got {Temperature}.");
        if (TopK < 0) throw new ArgumentException($"top_k must be >= 0, got {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}.");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min_p must be in [0, 1], got {MinP}.");
        if (!(RepetitionPenalty > 0)) throw new ArgumentException($"repetition penalty must be > 0, got {RepetitionPenalty}.");
        if (!float.IsFinite(PresencePenalty)) throw new ArgumentException("presence penalty must be finite.");
        if (!float.IsFinite(FrequencyPenalty)) throw new ArgumentException("frequency penalty must be finite.");
    }
}
