using Llambda.Gguf;
using Llambda.Tensors;
using Llambda.Testing;

namespace Llambda.Models.Tests;

/// <summary>ForwardBuffers.Trace: the debugging hook that bench/reference/trace-compare.cs uses.</summary>
public class ForwardTraceTests
{
    [Fact]
    public void Trace_sees_every_layer_in_llama_cpp_names_and_changes_nothing()
    {
        using var pool = new WorkerPool(1);
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var model = Transformer.Load(file, pool);
        int[] prompt = [1, 400, 300, 200, 100];

        float[] Run(TensorTrace? trace)
        {
            var buffers = new ForwardBuffers(model.Config, 8) { Trace = trace };
            var logits = new float[model.VocabSize];
            model.Forward(prompt, 0, new KvCache(model.Config, prompt.Length), buffers, logits);
            return logits;
        }

        var seen = new List<(string Name, int Length)>();
        float[] traced = Run((name, values) => seen.Add((name, values.Length)));
        Assert.Equal(Run(null), traced);

        int dim = model.Config.EmbeddingLength, last = model.Config.LayerCount - 1;
        Assert.Contains(("attn_norm-0", prompt.Length * dim), seen);
        Assert.Contains(("Qcur-0", prompt.Length * model.Config.QueryWidth), seen);
        Assert.Contains(("ffn_swiglu-0", prompt.Length * model.Config.FeedForwardLength), seen);
        Assert.Contains(($"l_out-{last}", dim), seen); // the last layer's feed-forward runs on the output token only
        Assert.Equal(("result_output", model.VocabSize), seen[^1]);
    }
}
