using System.Diagnostics;
using Llambda.Gguf;
using Llambda.Models;
using Llambda.Tensors;
using Llambda.Tokenizers;

namespace Llambda.Inference;

/// <summary>How to load a model.</summary>
public sealed record ModelOptions
{
    /// <summary>Worker threads for the kernels (0: one per visible CPU).</summary>
    public int Threads { get; init; }
}

/// <summary>
/// A model ready to run: the mapped file, its tokenizer, the bound transformer and a worker pool. Thread-safe to
/// share; each request gets its own <see cref="InferenceSession"/>.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(string path, GgufFile file, Tokenizer tokenizer, Transformer transformer, WorkerPool pool, TimeSpan loadTime)
    {
        Path = path;
        File = file;
        Tokenizer = tokenizer;
        Transformer = transformer;
        Pool = pool;
        LoadTime = loadTime;
    }

    public string Path { get; }
    public GgufFile File { get; }
    public Tokenizer Tokenizer { get; }
    public Transformer Transformer { get; }
    public WorkerPool Pool { get; }
    public ModelConfig Config => Transformer.Config;
    public TimeSpan LoadTime { get; }

    /// <summary>A short model name for APIs: <c>general.name</c>, else the file name without extension.</summary>
    public string Name => File.Metadata.GetStringOrDefault("general.name") is { Length: > 0 } n
        ? n
        : System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>
    /// Maps and validates the file, reads its tokenizer and binds the weights. Throws <see cref="GgufFormatException"/>
    /// for a bad file, <see cref="ModelLoadException"/> for a valid file we cannot run, <see cref="FileNotFoundException"/>.
    /// </summary>
    public static LoadedModel Load(string path, ModelOptions? options = null)
    {
        options ??= new ModelOptions();
        var clock = Stopwatch.StartNew();
        var file = GgufFile.Open(path);
        WorkerPool? pool = null;
        try
        {
            Tokenizer tokenizer;
            try
            {
                tokenizer = Tokenizer.FromGguf(file.Metadata);
            }
            catch (Exception e) when (e is NotSupportedException or KeyNotFoundException or InvalidDataException)
            {
                throw new ModelLoadException($"{path}: cannot read the tokenizer: {e.Message}");
            }
            pool = new WorkerPool(options.Threads > 0 ? options.Threads : Environment.ProcessorCount);
            var transformer = Transformer.Load(file, pool);
            return new LoadedModel(path, file, tokenizer, transformer, pool, clock.Elapsed);
        }
        catch
        {
            pool?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>A new session with its own KV cache of <paramref name="contextLength"/> positions (0: the model's, capped at 4096).</summary>
    public InferenceSession CreateSession(int contextLength = 0) => new(this, contextLength);

    public void Dispose()
    {
        Pool.Dispose();
        File.Dispose();
    }
}
