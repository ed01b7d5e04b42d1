using System.Diagnostics;
using Llambda.Gguf;
using Llambda.Models.Synthetic;
using Llambda.Tensors;
using Llambda.Testing;

namespace Llambda.Models.Tests;

/// <summary>
/// `llambda synth` files: the shape's hyperparameters in the metadata, llama.cpp's tensor names and sizes, a real
/// vocabulary padded to the shape's size, and a forward pass that runs; with zeros, a sparse file.
/// </summary>
public sealed class SyntheticModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llambda-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Vocabulary(ModelShape shape) => SharedData.Reference("tokenizer", shape.VocabularySource);

    [Theory]
    [InlineData("smollm2-135m", GgmlType.Q8_0)]
    [InlineData("smollm2-135m", GgmlType.Q4_0)]
    public void Random_weights_file_has_the_shape_and_runs(string shapeName, GgmlType type)
    {
        ModelShape shape = ModelShape.Find(shapeName);
        string path = Path.Combine(_dir, $"{shapeName}-{type}.gguf");
        SyntheticModelWriter.Write(shape, type, Vocabulary(shape), path, seed: 7);

        using var file = GgufFile.Open(path);
        var md = file.Metadata;
        Assert.Equal(shape.Architecture, md.GetString("general.architecture"));
        Assert.Equal(shape.EmbeddingLength, (int)md.GetUInt32($"{shape.Architecture}.embedding_length"));
        Assert.Equal(shape.LayerCount, (int)md.GetUInt32($"{shape.Architecture}.block_count"));
        Assert.Equal(shape.KvHeadCount, (int)md.GetUInt32($"{shape.Architecture}.attention.head_count_kv"));
        Assert.Equal(shape.VocabSize, md.GetStringArray("tokenizer.ggml.tokens").Length);
        // Tied embeddings: no output matrix, as in the published model.
        Assert.Equal(!shape.TiedEmbeddings, file.Tensors.Any(t => t.Name == "output.weight"));
        Assert.Equal(type, file.Tensors.Single(t => t.Name == "blk.0.ffn_down.weight").Type);
        long parameters = file.Tensors.Sum(t => t.ElementCount);
        Assert.Equal(shape.ParameterCount, parameters);

        using var pool = new WorkerPool(2);
        var model = Transformer.Load(file, pool);
        var cache = new KvCache(model.Config, 8);
        var logits = new float[model.VocabSize];
        model.Forward([1, 2, 3], 0, cache, new ForwardBuffers(model.Config, 4), logits);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Max() > logits.Min(), "random weights give distinct logits");
    }

    [Fact]
    public void Zero_weights_file_is_sparse_and_loads()
    {
        ModelShape shape = ModelShape.Find("llama-2-7b");
        string path = Path.Combine(_dir, "llama-2-7b-Q4_0-zeros.gguf");
        SyntheticModelWriter.Write(shape, GgmlType.Q4_0, Vocabulary(shape), path, zeros: true);

        long apparent = new FileInfo(path).Length;
        Assert.True(apparent > 3_500_000_000L, $"{apparent} bytes");
        Assert.True(AllocatedBytes(path) < 64L << 20, $"{AllocatedBytes(path)} bytes on disk for a {apparent}-byte file");

        using var file = GgufFile.Open(path);
        Assert.Equal(shape.ParameterCount, file.Tensors.Sum(t => t.ElementCount));
        Assert.True(file.GetTensorBytes(file.GetTensor("blk.31.ffn_down.weight")).IndexOfAnyExcept((byte)0) < 0);
    }

    /// <summary>Bytes the file system allocated (st_blocks × 512), read with stat(1): .NET has no API for it.</summary>
    private static long AllocatedBytes(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%b", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        string blocks = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return long.Parse(blocks.Trim()) * 512;
    }
}
