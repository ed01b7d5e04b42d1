using Llambda.Gguf;
using Llambda.Tensors;
using Llambda.Testing;
using Xunit.Abstractions;

namespace Llambda.Models.Tests;

/// <summary>
/// The forward pass against llama.cpp: for every shared model and reference prompt, the same 32 greedy tokens and
/// top-5 logits within 1e-2 (1e-3 for F32/F16/BF16 weights). A step where our argmax differs is accepted only
/// where the reference's own top-2 gap is under 1e-2 (a tie at float noise); from there on the continuation is
/// compared against the reference's tokens by forcing them, so one near-tie does not hide later errors.
/// </summary>
public class GreedyParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new(ReferenceCase.ModelsWithReferences());

    /// <summary>
    /// Models still out of tolerance, with the worst top-5 logit difference measured when they were listed and why.
    /// The random-weight models are chaotic: one activation whose quantization (Q8_0/Q8_K, or the F16/BF16 rounding of
    /// the activations) lands on the other side of a rounding boundary moves the logits by 0.01-0.5, so parity needs
    /// llama.cpp's exact float operation order in every kernel. A listed model must still fail (so a fix shows up
    /// here and the entry is removed) and must not get worse than twice its recorded difference.
    /// </summary>
    private static readonly Dictionary<string, (float Worst, string Reason)> KnownExceptions = new()
    {
        // None: a tensor-by-tensor trace of llama.cpp (cb_eval) matches every model bit for bit, batched and token by
        // token. The causes found were float operation orders the haswell build gets from GCC's FMA contraction and
        // loop vectorisation of plain C (RoPE, the Q5_K mins, ggml_vec_dot_f32's leftovers), kernels that changed
        // upstream (Q6_K), and batch-only paths (the Q4_K gemm, tinyBLAS for F32, SwiGLU per row).
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_tokens_and_logits_match_llama_cpp(string modelFile)
    {
        using var pool = new WorkerPool(2);
        var failures = Run(modelFile, pool, maxBatch: 64, out float worst);
        if (KnownExceptions.TryGetValue(modelFile, out var known))
        {
            Assert.True(failures.Count > 0, $"{modelFile} now matches llama.cpp (worst {worst}): remove it from KnownExceptions.");
            Assert.True(worst <= 2 * known.Worst, $"{modelFile} got worse: {worst} (recorded {known.Worst}, {known.Reason}).");
            output.WriteLine($"known exception ({known.Reason}): {failures.Count} failures, worst {worst}");
            return;
        }
        Assert.True(failures.Count == 0, $"{modelFile}:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("synth-llama-spm512-Q4_K_M.gguf")]
    [InlineData("synth-qwen3-gpt2-Q6_K.gguf")]
    public void One_thread_and_token_by_token_prefill_give_the_same_tokens(string modelFile)
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        foreach (var c in ReferenceCase.Load(modelFile))
        {
            var a = Greedy(modelFile, c.PromptIds, 32, pool1, maxBatch: 1);
            var b = Greedy(modelFile, c.PromptIds, 32, pool2, maxBatch: 64);
            Assert.Equal(a, b);
        }
    }

    private static int[] Greedy(string modelFile, int[] prompt, int steps, WorkerPool pool, int maxBatch)
    {
        using var file = GgufFile.Open(SharedData.Model(modelFile));
        var model = Transformer.Load(file, pool);
        var cache = new KvCache(model.Config, prompt.Length + steps);
        var buffers = new ForwardBuffers(model.Config, maxBatch);
        var logits = new float[model.VocabSize];
        model.Forward(prompt, 0, cache, buffers, logits);
        var result = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            result[i] = ArgMax(logits);
            if (i + 1 < steps) model.Forward([result[i]], prompt.Length + i, cache, buffers, logits);
        }
        return result;
    }

    private List<string> Run(string modelFile, WorkerPool pool, int maxBatch, out float worst)
    {
        var failures = new List<string>();
        bool exactType = modelFile.Contains("F32") || modelFile.Contains("F16") || modelFile.Contains("BF16") || modelFile == "stories260K.gguf";
        float tolerance = exactType ? 1e-3f : 1e-2f;
        using var file = GgufFile.Open(SharedData.Model(modelFile));
        var model = Transformer.Load(file, pool);
        worst = 0;
        foreach (var c in ReferenceCase.Load(modelFile))
        {
            var cache = new KvCache(model.Config, c.PromptIds.Length + c.Steps.Length);
            var buffers = new ForwardBuffers(model.Config, maxBatch);
            var logits = new float[model.VocabSize];
            model.Forward(c.PromptIds, 0, cache, buffers, logits);
            float promptWorst = 0;
            int firstOff = -1;
            for (int i = 0; i < c.Steps.Length; i++)
            {
                var step = c.Steps[i];
                float stepWorst = 0;
                foreach (var (id, logit) in step.Top) stepWorst = Math.Max(stepWorst, Math.Abs(logits[id] - logit));
                promptWorst = Math.Max(promptWorst, stepWorst);
                if (firstOff < 0 && stepWorst > 1e-4f) firstOff = i;
                int ours = ArgMax(logits);
                if (ours != step.Id)
                {
                    float gap = step.Top[0].Logit - step.Top[1].Logit;
                    if (gap >= 1e-2f)
                        failures.Add($"'{c.Prompt}' step {i}: token {ours} (logit {logits[ours]}), reference {step.Id} (top-2 gap {gap})");
                    else
                        output.WriteLine($"'{c.Prompt}' step {i}: near-tie (gap {gap}), ours {ours}, reference {step.Id}");
                }
                foreach (var (id, logit) in step.Top)
                {
                    float diff = Math.Abs(logits[id] - logit);
                    worst = Math.Max(worst, diff);
                    if (diff > tolerance) failures.Add($"'{c.Prompt}' step {i}: logit[{id}] = {logits[id]}, reference {logit} (diff {diff})");
                }
                // Continue with the reference's token so every step is compared on the same history.
                if (i + 1 < c.Steps.Length) model.Forward([step.Id], c.PromptIds.Length + i, cache, buffers, logits);
            }
            output.WriteLine($"  '{c.Prompt[..Math.Min(12, c.Prompt.Length)]}' ({c.PromptIds.Length} prompt tokens): worst {promptWorst}, first step over 1e-4: {firstOff}");
        }
        output.WriteLine($"{modelFile}: worst top-5 logit difference {worst}");
        return failures;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
