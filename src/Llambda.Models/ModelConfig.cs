using Llambda.Gguf;

namespace Llambda.Models;

/// <summary>
/// The hyperparameters of a decoder-only transformer, read from GGUF metadata (<c>{arch}.*</c> keys) with the
/// defaults llama.cpp uses. The architectures differ only in a few switches (biases, q/k norms, rope style),
/// so one forward pass serves them all.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Architectures this engine runs.</summary>
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "qwen2", "qwen3"];

    public required string Architecture { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    public required int KeyLength { get; init; }
    public required int ValueLength { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required float RmsNormEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    public required float RopeFreqScale { get; init; }
    public required int RopeDimensionCount { get; init; }
    public required RopeStyle RopeStyle { get; init; }

    /// <summary>Qwen3 normalises each query and key head (RMSNorm with its own weight) before RoPE.</summary>
    public required bool HasQkNorm { get; init; }

    public int QueryWidth => HeadCount * KeyLength;
    public int KeyWidth => KvHeadCount * KeyLength;
    public int ValueWidth => KvHeadCount * ValueLength;

    public static ModelConfig FromMetadata(GgufMetadata md)
    {
        string arch = md.GetStringOrDefault("general.architecture")
            ?? throw new ModelLoadException("The model has no general.architecture key.");
        if (!SupportedArchitectures.Contains(arch))
            throw new ModelLoadException($"Architecture '{arch}' is not supported; supported architectures: {string.Join(", ", SupportedArchitectures)}.");

        int Required(string key)
        {
            string full = $"{arch}.{key}";
            if (!md.Contains(full)) throw new ModelLoadException($"The model has no {full} key.");
            int v = md.GetInt32(full);
            return v > 0 ? v : throw new ModelLoadException($"{full} = {v} must be positive.");
        }

        int dim = Required("embedding_length");
        int heads = Required("attention.head_count");
        int kvHeads = md.GetInt32($"{arch}.attention.head_count_kv", heads);
        if (kvHeads <= 0 || heads % kvHeads != 0)
            throw new ModelLoadException($"{heads} attention heads cannot be shared by {kvHeads} KV heads.");
        int keyLength = md.GetInt32($"{arch}.attention.key_length", dim / heads);
        int valueLength = md.GetInt32($"{arch}.attention.value_length", dim / heads);
        int vocab = md.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens.IsArray
            ? tokens.ArrayLength
            : md.GetInt32($"{arch}.vocab_size", 0);

        float freqScale = 1f;
        string? scaling = md.GetStringOrDefault($"{arch}.rope.scaling.type");
        if (scaling is "linear")
            freqScale = 1f / md.GetFloat32($"{arch}.rope.scaling.factor", 1f);
        else if (scaling is not (null or "none"))
            throw new ModelLoadException($"RoPE scaling '{scaling}' is not supported (only linear).");

        return new ModelConfig
        {
            Architecture = arch,
            EmbeddingLength = dim,
            LayerCount = Required("block_count"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            KeyLength = keyLength,
            ValueLength = valueLength,
            FeedForwardLength = Required("feed_forward_length"),
            VocabSize = vocab,
            ContextLength = md.GetInt32($"{arch}.context_length", 2048),
            RmsNormEpsilon = md.GetFloat32($"{arch}.attention.layer_norm_rms_epsilon", 1e-5f),
            RopeFreqBase = md.GetFloat32($"{arch}.rope.freq_base", 10000f),
            RopeFreqScale = freqScale,
            RopeDimensionCount = md.GetInt32($"{arch}.rope.dimension_count", keyLength),
            RopeStyle = arch == "llama" ? RopeStyle.Normal : RopeStyle.NeoX,
            HasQkNorm = arch == "qwen3",
        };
    }
}
