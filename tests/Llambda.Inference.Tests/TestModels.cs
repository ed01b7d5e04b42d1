using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Testing;

namespace Llambda.Inference.Tests;

/// <summary>One loaded stories260K shared by the tests of a class (loading is cheap, but there is no need to repeat it).</summary>
public sealed class StoriesModelFixture : IDisposable
{
    public LoadedModel Model { get; } = LoadedModel.Load(SharedData.Model("stories260K.gguf"), new ModelOptions { Threads = 2 });

    public void Dispose() => Model.Dispose();
}

/// <summary>Writes a changed copy of a shared model to a temporary file (metadata edits, dropped tensors).</summary>
public static class ModelRewriter
{
    public static string Rewrite(string source, Action<GgufMetadata> editMetadata, Func<string, bool>? keepTensor = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"llambda-test-{Guid.NewGuid():N}.gguf");
        using var file = GgufFile.Open(SharedData.Model(source));
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata) writer.Metadata.Set(key, value);
        editMetadata(writer.Metadata);
        foreach (var t in file.Tensors.Where(t => keepTensor?.Invoke(t.Name) ?? true))
            writer.AddTensor(t.Name, t.Type, t.Dimensions, file.GetTensorBytes(t).ToArray());
        writer.WriteTo(path);
        return path;
    }
}
