using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Cli.Tests;

public class InspectCommandTests
{
    [Fact]
    public void Json_output_has_the_model_facts()
    {
        var r = CliRunner.Run("inspect", SharedData.Model("stories260K.gguf"), "--json", "--ctx", "100");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var j = doc.RootElement;
        Assert.Equal("llama", j.GetProperty("architecture").GetString());
        Assert.Equal(292800, j.GetProperty("parameters").GetInt64());
        Assert.Equal(5, j.GetProperty("layers").GetInt32());
        Assert.Equal(64, j.GetProperty("embedding_length").GetInt32());
        Assert.Equal(8, j.GetProperty("heads").GetInt32());
        Assert.Equal(4, j.GetProperty("kv_heads").GetInt32());
        Assert.Equal(512, j.GetProperty("vocab_size").GetInt32());
        Assert.Equal("llama", j.GetProperty("tokenizer_model").GetString());
        Assert.False(j.GetProperty("chat_template").GetBoolean());
        Assert.Equal(48, j.GetProperty("tensor_types").GetProperty("F32").GetProperty("count").GetInt32());
        Assert.Equal(1280 * 100, j.GetProperty("memory").GetProperty("kv_cache_bytes").GetInt64());
    }

    [Fact]
    public void Every_shared_model_inspects_as_text()
    {
        foreach (string model in SharedData.AllModels())
        {
            var r = CliRunner.Run("inspect", model);
            Assert.True(r.ExitCode == 0, $"{model}: {r.Stderr}");
            Assert.Contains("architecture", r.Stdout);
            Assert.Contains("memory to run", r.Stdout);
        }
    }
}
