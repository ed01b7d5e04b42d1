using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Gguf.Tests;

/// <summary>Every shared model opens and reports the shape its README (and llama.cpp) gives it.</summary>
public class ModelInspectionTests
{
    public static TheoryData<string, string, long, int, int, int, int, int, int> Expected => new()
    {
        // file, architecture, parameters, layers, embedding, heads, kv heads, feed-forward, vocabulary
        { "stories260K.gguf", "llama", 292_800, 5, 64, 8, 4, 172, 512 },
        { "tinyllama-v0-Q4_0.gguf", "llama", 4_621_376, 8, 64, 16, 16, 256, 32000 },
        { "llama-2-tiny-random.gguf", "llama", 513_048, 1, 8, 2, 2, 32, 32000 },
        { "synth-llama-spm512-F32.gguf", "llama", 1_836_288, 2, 256, 8, 4, 768, 512 },
        { "synth-llama-spm512-Q4_K_M.gguf", "llama", 1_836_288, 2, 256, 8, 4, 768, 512 },
        { "synth-llama-gpt2-Q4_0.gguf", "llama", 27_240_192, 2, 256, 8, 2, 768, 50257 },
        { "synth-qwen2-gpt2-Q8_0.gguf", "qwen2", 14_375_168, 2, 256, 8, 2, 768, 50257 },
        { "synth-qwen3-gpt2-Q6_K.gguf", "qwen3", 27_568_128, 2, 256, 8, 2, 768, 50257 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Summary_matches_known_shape(string fileName, string arch, long parameters, int layers, int embedding, int heads, int kvHeads, int ffn, int vocab)
    {
        using var file = GgufFile.Open(SharedData.Model(fileName));
        var s = GgufModelSummary.FromFile(file);
        Assert.Equal(arch, s.Architecture);
        Assert.Equal(parameters, s.ParameterCount);
        Assert.Equal(layers, s.LayerCount);
        Assert.Equal(embedding, s.EmbeddingLength);
        Assert.Equal(heads, s.HeadCount);
        Assert.Equal(kvHeads, s.KvHeadCount);
        Assert.Equal(ffn, s.FeedForwardLength);
        Assert.Equal(vocab, s.VocabSize);
        Assert.Equal(new FileInfo(SharedData.Model(fileName)).Length, s.FileBytes);
    }

    [Fact]
    public void Stories260K_reads_all_metadata_kinds()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        Assert.Equal(3u, file.Version);
        Assert.Equal("llama", file.Metadata.GetString("tokenizer.ggml.model"));
        Assert.Equal(5u, file.Metadata.GetUInt32("llama.block_count"));
        Assert.Equal(2048, file.Metadata.GetInt32("llama.context_length"));
        Assert.Equal(1e-5f, file.Metadata.GetFloat32("llama.attention.layer_norm_rms_epsilon"), 1e-9f);
        Assert.Equal(512, file.Metadata.GetStringArray("tokenizer.ggml.tokens").Length);
        Assert.Equal(512, file.Metadata.GetFloat32Array("tokenizer.ggml.scores").Length);
        Assert.Equal(512, file.Metadata.GetInt32Array("tokenizer.ggml.token_type").Length);
        Assert.Equal("<s>", file.Metadata.GetStringArray("tokenizer.ggml.tokens")[1]);
        Assert.Equal(48, file.Tensors.Count);
        Assert.Equal(7u, file.Metadata.GetUInt32("missing.key", 7));
        Assert.Throws<KeyNotFoundException>(() => file.Metadata.GetUInt32("missing.key"));
        Assert.Throws<InvalidDataException>(() => file.Metadata.GetString("llama.block_count"));
    }

    [Fact]
    public void Tensor_views_point_into_the_file()
    {
        string path = SharedData.Model("stories260K.gguf");
        byte[] raw = File.ReadAllBytes(path);
        using var file = GgufFile.Open(path);
        var embd = file.GetTensor("token_embd.weight");
        Assert.Equal(GgmlType.F32, embd.Type);
        Assert.Equal([64L, 512L], embd.Dimensions);
        Assert.Equal(64, embd.RowLength);
        Assert.Equal(512, embd.RowCount);
        Assert.Equal(64 * 512 * 4, embd.ByteSize);
        Assert.Equal(0, (file.DataOffset + embd.Offset) % file.Alignment);
        Assert.True(file.GetTensorBytes(embd).SequenceEqual(raw.AsSpan((int)(file.DataOffset + embd.Offset), (int)embd.ByteSize)));
    }

    [Fact]
    public void Quantized_tensor_sizes_follow_block_geometry()
    {
        using var file = GgufFile.Open(SharedData.Model("synth-llama-spm512-Q4_K_M.gguf"));
        foreach (var t in file.Tensors)
        {
            Assert.Equal(0, t.RowLength % GgmlTypeInfo.BlockSize(t.Type));
            Assert.Equal(t.ElementCount / GgmlTypeInfo.BlockSize(t.Type) * GgmlTypeInfo.BlockBytes(t.Type), t.ByteSize);
        }
        Assert.Contains(file.Tensors, t => t.Type == GgmlType.Q4_K);
        Assert.Contains(file.Tensors, t => t.Type == GgmlType.Q6_K);
    }

    [Fact]
    public void Qwen_models_have_their_family_traits()
    {
        using var qwen2 = GgufFile.Open(SharedData.Model("synth-qwen2-gpt2-Q8_0.gguf"));
        Assert.Null(qwen2.FindTensor("output.weight")); // tied embeddings
        Assert.NotNull(qwen2.FindTensor("blk.0.attn_q.bias"));
        using var qwen3 = GgufFile.Open(SharedData.Model("synth-qwen3-gpt2-Q6_K.gguf"));
        Assert.Equal(64u, qwen3.Metadata.GetUInt32("qwen3.attention.key_length"));
        Assert.NotNull(qwen3.FindTensor("blk.0.attn_q_norm.weight"));
    }

    [Fact]
    public void Every_shared_model_opens()
    {
        var models = SharedData.AllModels().ToList();
        Assert.True(models.Count >= 20, $"expected the shared models, found {models.Count}");
        foreach (string path in models)
        {
            using var file = GgufFile.Open(path);
            var s = GgufModelSummary.FromFile(file);
            Assert.True(s.ParameterCount > 0, path);
            Assert.True(s.WeightBytes <= s.FileBytes, path);
            Assert.Equal(file.Tensors.Sum(t => t.ElementCount), s.ParameterCount);
        }
    }

    [Fact]
    public void Memory_estimate_adds_f32_kv_cache()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var s = GgufModelSummary.FromFile(file);
        // 5 layers x (K + V) x 4 KV heads x head dim 8 x 4 bytes = 1,280 bytes per token.
        Assert.Equal(1280L * 100, s.KvCacheBytes(100));
        Assert.Equal(s.WeightBytes + 1280L * 100, s.EstimatedRunBytes(100));
    }
}
