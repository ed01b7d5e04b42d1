using Llambda.Gguf;
using Llambda.Tensors;

namespace Llambda.Models.Synthetic;

/// <summary>
/// Writes a GGUF of a given <see cref="ModelShape"/> with random weights, a real tokenizer (copied from a
/// vocabulary-only GGUF and padded with unused tokens up to the shape's vocabulary size) and the tensor names and
/// layout llama.cpp uses. Tensors are generated and quantized row block by row block while being written, so a
/// multi-gigabyte model never sits in memory.
/// </summary>
public static class SyntheticModelWriter
{
    /// <summary>Weight types this writer can produce (those with a weight quantizer in <see cref="Quantize"/>).</summary>
    public static readonly IReadOnlyList<GgmlType> SupportedTypes = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0];

    /// <param name="zeros">
    /// All-zero weights, written as a sparse file: a 7B takes almost no disk. Such a model generates nothing useful,
    /// but its size, memory map and speed are a real model's (for <c>plan</c> and bandwidth measurements).
    /// </param>
    public static void Write(ModelShape shape, GgmlType type, string vocabularyFile, string outputPath, ulong seed = 1, bool zeros = false)
    {
        if (!SupportedTypes.Contains(type))
            throw new ArgumentException($"Cannot write {type} weights; supported: {string.Join(", ", SupportedTypes)}.");
        var writer = new GgufWriter();
        WriteMetadata(writer.Metadata, shape, type, vocabularyFile);

        int d = shape.EmbeddingLength, kv = shape.KvHeadCount * shape.HeadDim, ff = shape.FeedForwardLength;
        // llama.cpp keeps the output projection at higher precision in 4-bit files; Q8_0 is our closest writer.
        GgmlType outputType = type == GgmlType.Q4_0 ? GgmlType.Q8_0 : type;
        ulong tensorSeed = seed;
        void Matrix(string name, int rows, int cols, GgmlType t) =>
            writer.AddTensor(name, t, [cols, rows], zeros ? ZeroRows(t, rows, cols) : RandomRows(t, rows, cols, 0.02f, tensorSeed++));
        void Vector(string name, int length, float value) =>
            writer.AddTensor(name, GgmlType.F32, [length], s => WriteConstant(s, length, value));
        void Bias(string name, int length) =>
            writer.AddTensor(name, GgmlType.F32, [length], RandomRows(GgmlType.F32, 1, length, 0.02f, tensorSeed++));

        Matrix("token_embd.weight", shape.VocabSize, d, type);
        for (int l = 0; l < shape.LayerCount; l++)
        {
            string p = $"blk.{l}.";
            Vector(p + "attn_norm.weight", d, 1f);
            Matrix(p + "attn_q.weight", d, d, type);
            Matrix(p + "attn_k.weight", kv, d, type);
            Matrix(p + "attn_v.weight", kv, d, type);
            if (shape.Architecture == "qwen2")
            {
                Bias(p + "attn_q.bias", d);
                Bias(p + "attn_k.bias", kv);
                Bias(p + "attn_v.bias", kv);
            }
            Matrix(p + "attn_output.weight", d, d, type);
            Vector(p + "ffn_norm.weight", d, 1f);
            Matrix(p + "ffn_gate.weight", ff, d, type);
            Matrix(p + "ffn_up.weight", ff, d, type);
            Matrix(p + "ffn_down.weight", d, ff, type);
        }
        Vector("output_norm.weight", d, 1f);
        if (!shape.TiedEmbeddings) Matrix("output.weight", shape.VocabSize, d, outputType);
        writer.WriteTo(outputPath, sparse: zeros);
    }

    private static void WriteMetadata(GgufMetadata md, ModelShape shape, GgmlType type, string vocabularyFile)
    {
        string a = shape.Architecture;
        md.Set("general.architecture", GgufValue.FromString(a));
        md.Set("general.name", GgufValue.FromString($"synth-{shape.Name}-{type}"));
        md.Set("general.file_type", GgufValue.FromUInt32(FileType(type)));
        md.Set($"{a}.context_length", GgufValue.FromUInt32(4096));
        md.Set($"{a}.embedding_length", GgufValue.FromUInt32((uint)shape.EmbeddingLength));
        md.Set($"{a}.block_count", GgufValue.FromUInt32((uint)shape.LayerCount));
        md.Set($"{a}.feed_forward_length", GgufValue.FromUInt32((uint)shape.FeedForwardLength));
        md.Set($"{a}.attention.head_count", GgufValue.FromUInt32((uint)shape.HeadCount));
        md.Set($"{a}.attention.head_count_kv", GgufValue.FromUInt32((uint)shape.KvHeadCount));
        md.Set($"{a}.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(1e-5f));
        md.Set($"{a}.rope.freq_base", GgufValue.FromFloat32(shape.RopeFreqBase));

        using var vocab = GgufFile.Open(vocabularyFile);
        foreach (var (key, value) in vocab.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            md.Set(key, value);
        PadVocabulary(md, shape.VocabSize);
    }

    /// <summary>Grows (or trims) the token list to the shape's vocabulary size; extra tokens are typed UNUSED so they never appear in text.</summary>
    private static void PadVocabulary(GgufMetadata md, int size)
    {
        string[] tokens = md.GetStringArray("tokenizer.ggml.tokens");
        if (tokens.Length == size) return;
        var newTokens = new string[size];
        for (int i = 0; i < size; i++) newTokens[i] = i < tokens.Length ? tokens[i] : $"<|synth_unused_{i}|>";
        md.Set("tokenizer.ggml.tokens", GgufValue.FromStrings(newTokens));
        if (md.Contains("tokenizer.ggml.scores"))
        {
            float[] scores = md.GetFloat32Array("tokenizer.ggml.scores");
            md.Set("tokenizer.ggml.scores", GgufValue.FromFloat32s(Enumerable.Range(0, size).Select(i => i < scores.Length ? scores[i] : -1e6f).ToArray()));
        }
        if (md.Contains("tokenizer.ggml.token_type"))
        {
            int[] types = md.GetInt32Array("tokenizer.ggml.token_type");
            md.Set("tokenizer.ggml.token_type", GgufValue.FromInt32s(Enumerable.Range(0, size).Select(i => i < types.Length ? types[i] : 5).ToArray()));
        }
        foreach (string key in new[] { "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id" })
        {
            if (md.TryGetValue(key, out var v) && v.TryGetInt64(out long id) && id >= size) md.Remove(key);
        }
    }

    private static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q8_0 => 7,
        GgmlType.BF16 => 32,
        _ => 0,
    };

    private static void WriteConstant(Stream s, int length, float value)
    {
        var bytes = new byte[length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan()).Fill(value);
        s.Write(bytes);
    }

    /// <summary>A tensor writer producing zero bytes (every supported type decodes them as 0), in 1 MiB writes.</summary>
    private static Action<Stream> ZeroRows(GgmlType type, int rows, int cols) => stream =>
    {
        var zeros = new byte[1 << 20];
        for (long left = rows * GgmlTypeInfo.RowBytes(type, cols); left > 0; left -= zeros.Length)
            stream.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
    };

    /// <summary>A tensor writer producing uniform random values of the given standard deviation, quantized to <paramref name="type"/>.</summary>
    private static Action<Stream> RandomRows(GgmlType type, int rows, int cols, float std, ulong seed) => stream =>
    {
        const int RowsPerChunk = 64;
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var values = new float[RowsPerChunk * cols];
        var encoded = new byte[RowsPerChunk * rowBytes];
        ulong state = seed * 0x9E3779B97F4A7C15UL + 1;
        float scale = std * MathF.Sqrt(3f) * 2f / (1 << 24); // uniform in [-std√3, std√3]
        float offset = std * MathF.Sqrt(3f);
        for (int r0 = 0; r0 < rows; r0 += RowsPerChunk)
        {
            int n = Math.Min(RowsPerChunk, rows - r0);
            Span<float> v = values.AsSpan(0, n * cols);
            for (int i = 0; i < v.Length; i++)
            {
                // xorshift64*: fast and good enough for weights nobody reads.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                v[i] = (float)((state * 0x2545F4914F6CDD1DUL) >> 40) * scale - offset;
            }
            for (int r = 0; r < n; r++)
                EncodeRow(type, v.Slice(r * cols, cols), encoded.AsSpan((int)(r * rowBytes), (int)rowBytes));
            stream.Write(encoded, 0, (int)(n * rowBytes));
        }
    };

    private static void EncodeRow(GgmlType type, ReadOnlySpan<float> row, Span<byte> output)
    {
        switch (type)
        {
            case GgmlType.F32: System.Runtime.InteropServices.MemoryMarshal.AsBytes(row).CopyTo(output); break;
            case GgmlType.F16: Quantize.F16(row, output); break;
            case GgmlType.BF16: Quantize.BF16(row, output); break;
            case GgmlType.Q8_0: Quantize.Q8_0Reference(row, output); break;
            case GgmlType.Q4_0: Quantize.Q4_0Reference(row, output); break;
            default: throw new ArgumentException($"No weight quantizer for {type}.");
        }
    }
}
