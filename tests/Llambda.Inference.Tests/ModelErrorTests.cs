using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Models;
using Llambda.Testing;

namespace Llambda.Inference.Tests;

/// <summary>Models we cannot run give one clear error, never a crash deep in the engine.</summary>
public class ModelErrorTests
{
    [Fact]
    public void Unsupported_architecture_is_named_with_the_supported_list()
    {
        string path = ModelRewriter.Rewrite("stories260K.gguf", md => md.Set("general.architecture", GgufValue.FromString("gptj")));
        try
        {
            var e = Assert.Throws<ModelLoadException>(() => LoadedModel.Load(path));
            Assert.Contains("'gptj' is not supported", e.Message);
            Assert.Contains("llama, qwen2, qwen3", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        string path = ModelRewriter.Rewrite("stories260K.gguf", _ => { }, name => name != "blk.3.ffn_up.weight");
        try
        {
            var e = Assert.Throws<ModelLoadException>(() => LoadedModel.Load(path));
            Assert.Contains("blk.3.ffn_up.weight", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_and_corrupt_files_are_refused_clearly()
    {
        Assert.Throws<FileNotFoundException>(() => LoadedModel.Load("/nonexistent/x.gguf"));
        var e = Assert.Throws<GgufFormatException>(() => LoadedModel.Load(Path.Combine(SharedData.ModelsDir, "bad", "stories260k-gguf-v1.gguf")));
        Assert.Contains("version 1", e.Message);
    }
}
