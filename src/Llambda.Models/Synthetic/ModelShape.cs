namespace Llambda.Models.Synthetic;

/// <summary>
/// The exact hyperparameters of a published model, so a random-weight file of that shape runs (and is benchmarked)
/// like the real one: speed depends on shapes and types, not on the weights' values.
/// </summary>
public sealed record ModelShape(
    string Name,
    string Architecture,
    int EmbeddingLength,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    int FeedForwardLength,
    int VocabSize,
    bool TiedEmbeddings,
    float RopeFreqBase,
    string VocabularySource)
{
    public static readonly IReadOnlyList<ModelShape> Known =
    [
        new("tinyllama-1.1b", "llama", 2048, 22, 32, 4, 5632, 32000, false, 10000f, "ggml-vocab-llama-spm.gguf"),
        new("smollm2-135m", "llama", 576, 30, 9, 3, 1536, 49152, true, 100000f, "ggml-vocab-starcoder.gguf"),
        new("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, true, 1000000f, "ggml-vocab-gpt-2.gguf"),
        new("llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, true, 500000f, "ggml-vocab-gpt-2.gguf"),
        new("llama-2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, false, 10000f, "ggml-vocab-llama-spm.gguf"),
    ];

    public static ModelShape Find(string name) =>
        Known.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown shape '{name}'; known shapes: {string.Join(", ", Known.Select(s => s.Name))}.");

    public int HeadDim => EmbeddingLength / HeadCount;

    /// <summary>Parameters of a model of this shape (embeddings, attention, feed-forward, norms, output).</summary>
    public long ParameterCount
    {
        get
        {
            long d = EmbeddingLength, kv = (long)KvHeadCount * HeadDim;
            long perLayer = d * d * 2 + d * kv * 2 + 3 * d * FeedForwardLength + 2 * d + (Architecture == "qwen2" ? d + 2 * kv : 0);
            return VocabSize * d * (TiedEmbeddings ? 1 : 2) + LayerCount * perLayer + d;
        }
    }
}
