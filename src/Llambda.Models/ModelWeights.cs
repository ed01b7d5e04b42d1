using Llambda.Gguf;
using Llambda.Tensors;

namespace Llambda.Models;

/// <summary>The tensors of one transformer block, bound to their roles.</summary>
public sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }
    public required WeightMatrix Query { get; init; }
    public required WeightMatrix Key { get; init; }
    public required WeightMatrix Value { get; init; }
    public required WeightMatrix Output { get; init; }
    public float[]? QueryBias { get; init; }
    public float[]? KeyBias { get; init; }
    public float[]? ValueBias { get; init; }
    public float[]? QueryNorm { get; init; }
    public float[]? KeyNorm { get; init; }
    public required float[] FeedForwardNorm { get; init; }
    public required WeightMatrix Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public required WeightMatrix Down { get; init; }
}

/// <summary>
/// Every weight of a model, bound by name and checked against the config. Matrices stay in the memory map; only
/// the small vectors (norms, biases) are copied out as f32, which <see cref="CopiedBytes"/> counts.
/// </summary>
public sealed unsafe class ModelWeights
{
    private ModelWeights(GgufFile file) => File = file;

    public GgufFile File { get; }
    public required WeightMatrix TokenEmbedding { get; init; }
    public required float[] OutputNorm { get; init; }

    /// <summary>The output projection; the token embedding itself when the model ties them (no <c>output.weight</c>).</summary>
    public required WeightMatrix Output { get; init; }

    public required LayerWeights[] Layers { get; init; }

    /// <summary>Per-dimension RoPE frequency divisors (<c>rope_freqs.weight</c>, Llama 3.1 style), if present.</summary>
    public float[]? RopeFrequencyFactors { get; init; }

    /// <summary>Bytes copied out of the map (small vectors as f32).</summary>
    public long CopiedBytes { get; private init; }

    /// <summary>
    /// The 8-row interleaved copies of the Q4_0/IQ4_NL/Q4_K matrices that llama.cpp repacks on AVX2 (null when none):
    /// <see cref="RepackedWeights.Bytes"/> is the extra memory. Their mapped pages are not touched.
    /// </summary>
    public RepackedWeights? Repacked { get; private init; }

    /// <summary>Bytes of native memory held by <see cref="Repacked"/>.</summary>
    public long RepackedBytes => Repacked?.Bytes ?? 0;

    /// <summary>
    /// Binds the tensors of <paramref name="file"/>. Matrices llama.cpp repacks (<see cref="WeightMatrix.CanRepack"/>;
    /// not the token embedding table, which is read by rows) get its accumulation order and, with AVX2, an interleaved
    /// copy unless <paramref name="repack"/> is false (then they are multiplied in that order from the map, slower).
    /// </summary>
    public static ModelWeights Bind(GgufFile file, ModelConfig c, bool repack = true)
    {
        var repacked = new RepackedWeights();
        SafeHandleReader? reader = repack && System.IO.File.Exists(file.Path) ? new SafeHandleReader(file.Path) : null;
        try
        {
            return BindCore(file, c, repack, repacked, reader);
        }
        finally
        {
            reader?.Dispose();
        }
    }

    private static ModelWeights BindCore(GgufFile file, ModelConfig c, bool repack, RepackedWeights repacked, SafeHandleReader? reader)
    {
        long copied = 0;
        float[] Vector(string name, int length)
        {
            var t = file.FindTensor(name) ?? throw new ModelLoadException($"The model has no tensor '{name}'.");
            if (t.ElementCount != length)
                throw new ModelLoadException($"Tensor '{name}' has {t.ElementCount} values, expected {length}.");
            var v = new float[length];
            if (!Dequantize.IsSupported(t.Type)) throw new ModelLoadException($"Tensor '{name}' has unsupported type {t.Type}.");
            if (reader != null)
            {
                // read, not touched through the map: a fault there maps the whole page-cache folio around it, which
                // brings pages of the neighbouring repacked matrices (never read through the map) into the resident set
                byte[] bytes = GC.AllocateUninitializedArray<byte>(checked((int)t.ByteSize));
                reader.ReadExactly(bytes, file.DataOffset + t.Offset);
                Dequantize.Row(t.Type, bytes, v);
            }
            else
            {
                Dequantize.Row(t.Type, file.GetTensorBytes(t), v);
            }
            copied += length * sizeof(float);
            return v;
        }
        float[]? OptionalVector(string name, int length) => file.FindTensor(name) is null ? null : Vector(name, length);

        WeightMatrix Matrix(string name, int rows, int cols)
        {
            var t = file.FindTensor(name) ?? throw new ModelLoadException($"The model has no tensor '{name}'.");
            return Repacked(t, MatrixOf(t, rows, cols));
        }
        WeightMatrix Repacked(GgufTensorInfo t, WeightMatrix m)
        {
            if (!m.CanRepack) return m;
            if (!repack) return new WeightMatrix(m.Type, m.Rows, m.Cols, m.Data) { RepackOrder = true };
            return repacked.Repack(m, reader, file.DataOffset + t.Offset);
        }
        WeightMatrix MatrixOf(GgufTensorInfo t, int rows, int cols)
        {
            if (t.Dimensions.Length != 2 || t.Dimensions[0] != cols || t.Dimensions[1] != rows)
                throw new ModelLoadException($"Tensor '{t.Name}' has shape [{string.Join(", ", t.Dimensions)}], expected [{cols}, {rows}].");
            if (!VecDot.IsSupported(t.Type))
                throw new ModelLoadException($"Tensor '{t.Name}' has type {t.Type}, which this engine cannot multiply yet.");
            return new WeightMatrix(t.Type, rows, cols, file.GetTensorPointer(t));
        }

        int dim = c.EmbeddingLength;
        var embedding = file.FindTensor("token_embd.weight") ?? throw new ModelLoadException("The model has no tensor 'token_embd.weight'.");
        int vocab = c.VocabSize > 0 ? c.VocabSize : (int)embedding.RowCount;
        var embeddingMatrix = MatrixOf(embedding, vocab, dim);
        // tied embeddings: llama.cpp keeps token_embd in the plain buffer (it is read by rows), so the output
        // product uses the vec_dot order
        var output = file.FindTensor("output.weight") is { } o ? Repacked(o, MatrixOf(o, vocab, dim)) : embeddingMatrix;

        var layers = new LayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new LayerWeights
            {
                AttentionNorm = Vector(p + "attn_norm.weight", dim),
                Query = Matrix(p + "attn_q.weight", c.QueryWidth, dim),
                Key = Matrix(p + "attn_k.weight", c.KeyWidth, dim),
                Value = Matrix(p + "attn_v.weight", c.ValueWidth, dim),
                Output = Matrix(p + "attn_output.weight", dim, c.HeadCount * c.ValueLength),
                QueryBias = OptionalVector(p + "attn_q.bias", c.QueryWidth),
                KeyBias = OptionalVector(p + "attn_k.bias", c.KeyWidth),
                ValueBias = OptionalVector(p + "attn_v.bias", c.ValueWidth),
                QueryNorm = c.HasQkNorm ? Vector(p + "attn_q_norm.weight", c.KeyLength) : null,
                KeyNorm = c.HasQkNorm ? Vector(p + "attn_k_norm.weight", c.KeyLength) : null,
                FeedForwardNorm = Vector(p + "ffn_norm.weight", dim),
                Gate = Matrix(p + "ffn_gate.weight", c.FeedForwardLength, dim),
                Up = Matrix(p + "ffn_up.weight", c.FeedForwardLength, dim),
                Down = Matrix(p + "ffn_down.weight", dim, c.FeedForwardLength),
            };
        }

        return new ModelWeights(file)
        {
            TokenEmbedding = embeddingMatrix,
            OutputNorm = Vector("output_norm.weight", dim),
            Output = output,
            Layers = layers,
            RopeFrequencyFactors = OptionalVector("rope_freqs.weight", c.RopeDimensionCount / 2),
            CopiedBytes = copied,
            Repacked = repacked.Count > 0 ? repacked : null,
        };
    }
}
