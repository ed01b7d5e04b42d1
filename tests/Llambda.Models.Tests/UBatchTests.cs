using Llambda.Gguf;
using Llambda.Tensors;
using Llambda.Testing;

namespace Llambda.Models.Tests;

/// <summary>
/// llama.cpp evaluates a prompt in ubatches of 512 tokens and picks its kernels (and so its float summation order) by
/// the ubatch's size. We cut prompts into pieces of <see cref="ForwardBuffers.MaxBatch"/>; how they are cut must not
/// matter: a 65-token prompt cut 64 + 1 gives the logits of the same prompt in one piece, bit for bit, even though
/// its last piece is a single token (which alone would take the one-column kernels).
/// </summary>
public class UBatchTests
{
    [Theory]
    [InlineData("synth-llama-spm512-F16.gguf")]
    [InlineData("synth-llama-spm512-BF16.gguf")]
    [InlineData("synth-llama-spm512-F32.gguf")]
    [InlineData("synth-llama-spm512-Q4_K_M.gguf")]
    public void A_prompt_cut_into_pieces_gives_the_logits_of_one_ubatch(string modelFile)
    {
        int[] prompt = ReferenceCase.Load(modelFile).Select(c => c.PromptIds).First(ids => ids.Length >= 65)[..65];
        using var pool = new WorkerPool(2);
        using var file = GgufFile.Open(SharedData.Model(modelFile));
        var model = Transformer.Load(file, pool);

        float[] Logits(int maxBatch)
        {
            var logits = new float[model.VocabSize];
            model.Forward(prompt, 0, new KvCache(model.Config, prompt.Length), new ForwardBuffers(model.Config, maxBatch), logits);
            return logits;
        }

        float[] whole = Logits(65), pieces = Logits(64);
        for (int i = 0; i < whole.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(pieces[i]), $"logit {i}: {pieces[i]} in pieces, {whole[i]} whole");
    }
}
