namespace Llambda.Models;

/// <summary>How rotary position embedding pairs up the dimensions of a head.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (x[2i], x[2i+1]): llama and its relatives (GGUF permutes Q/K weights for this).</summary>
    Normal,

    /// <summary>Halves (x[i], x[i + d/2]), as GPT-NeoX does: qwen2, qwen3.</summary>
    NeoX,
}
