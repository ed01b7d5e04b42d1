namespace Llambda.Gguf;

/// <summary>
/// What a person wants to know about a model file before running it: what it is, how big, and how much memory it
/// needs. Read from metadata and the tensor directory only; no weights are touched.
/// </summary>
public sealed record GgufModelSummary
{
    public required string Path { get; init; }
    public required uint GgufVersion { get; init; }
    public required long FileBytes { get; init; }
    public required string Architecture { get; init; }
    public string? Name { get; init; }
    public required long ParameterCount { get; init; }
    public required int TensorCount { get; init; }

    /// <summary>Tensor count and bytes per tensor type, largest first.</summary>
    public required IReadOnlyList<TensorTypeShare> TensorTypes { get; init; }

    public int? ContextLength { get; init; }
    public int? EmbeddingLength { get; init; }
    public int? LayerCount { get; init; }
    public int? HeadCount { get; init; }
    public int? KvHeadCount { get; init; }
    public int? KeyLength { get; init; }
    public int? ValueLength { get; init; }
    public int? FeedForwardLength { get; init; }
    public int? VocabSize { get; init; }
    public string? TokenizerModel { get; init; }
    public string? TokenizerPre { get; init; }
    public required bool HasChatTemplate { get; init; }

    /// <summary>Bytes of all tensors (the weights that stay mapped while the model runs).</summary>
    public long WeightBytes => TensorTypes.Sum(t => t.Bytes);

    /// <summary>
    /// Bytes of the key/value cache for <paramref name="contextLength"/> tokens: keys and values for every layer,
    /// KV head and position, at <paramref name="bytesPerValue"/> each (4: the engine keeps an f32 cache).
    /// </summary>
    public long KvCacheBytes(int contextLength, int bytesPerValue = 4)
    {
        if (LayerCount is not int layers || KvHeadCount is not int kvHeads) return 0;
        long perToken = (long)kvHeads * ((KeyLength ?? DefaultHeadDim) + (ValueLength ?? DefaultHeadDim));
        return layers * perToken * contextLength * bytesPerValue;
    }

    /// <summary>Weights plus the KV cache at <paramref name="contextLength"/>: a floor for the memory needed to run.</summary>
    public long EstimatedRunBytes(int contextLength) => WeightBytes + KvCacheBytes(contextLength);

    private int DefaultHeadDim => EmbeddingLength is int e && HeadCount is int h && h > 0 ? e / h : 0;

    public static GgufModelSummary FromFile(GgufFile file)
    {
        GgufMetadata md = file.Metadata;
        string arch = md.GetStringOrDefault("general.architecture") ?? "unknown";
        int? Int(string key) => TryInt(md, $"{arch}.{key}");

        var types = file.Tensors
            .GroupBy(t => t.Type)
            .Select(g => new TensorTypeShare(g.Key, g.Count(), g.Sum(t => t.ByteSize)))
            .OrderByDescending(s => s.Bytes)
            .ToList();

        int? vocab = md.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens.IsArray ? tokens.ArrayLength : Int("vocab_size");

        return new GgufModelSummary
        {
            Path = file.Path,
            GgufVersion = file.Version,
            FileBytes = file.FileSize,
            Architecture = arch,
            Name = md.TryGetValue("general.name", out var name) ? name.Value as string : null,
            ParameterCount = file.Tensors.Sum(t => t.ElementCount),
            TensorCount = file.Tensors.Count,
            TensorTypes = types,
            ContextLength = Int("context_length"),
            EmbeddingLength = Int("embedding_length"),
            LayerCount = Int("block_count"),
            HeadCount = Int("attention.head_count"),
            KvHeadCount = Int("attention.head_count_kv") ?? Int("attention.head_count"),
            KeyLength = Int("attention.key_length"),
            ValueLength = Int("attention.value_length"),
            FeedForwardLength = Int("feed_forward_length"),
            VocabSize = vocab,
            TokenizerModel = md.TryGetValue("tokenizer.ggml.model", out var tm) ? tm.Value as string : null,
            TokenizerPre = md.TryGetValue("tokenizer.ggml.pre", out var tp) ? tp.Value as string : null,
            HasChatTemplate = md.Contains("tokenizer.chat_template"),
        };
    }

    /// <summary>An integer value, or the largest element of a per-layer integer array; null when absent or not an integer.</summary>
    private static int? TryInt(GgufMetadata md, string key)
    {
        if (!md.TryGetValue(key, out var v)) return null;
        if (v.TryGetInt64(out long x)) return x is >= 0 and <= int.MaxValue ? (int)x : null;
        if (v.IsArray && GgufValue.IsInteger(v.ElementType) && v.ArrayLength > 0)
        {
            long max = ((Array)v.Value).Cast<object>().Max(Convert.ToInt64);
            return max is >= 0 and <= int.MaxValue ? (int)max : null;
        }
        return null;
    }
}

/// <summary>How many tensors of one type a model has and how many bytes they take.</summary>
public sealed record TensorTypeShare(GgmlType Type, int Count, long Bytes);
