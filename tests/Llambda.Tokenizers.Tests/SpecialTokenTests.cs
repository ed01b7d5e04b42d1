using Llambda.Testing;
using Llambda.Tokenizers;

namespace Llambda.Tokenizers.Tests;

public class SpecialTokenTests
{
    private static Tokenizer Vocab(string name) => Tokenizer.FromGguf(SharedData.Reference("tokenizer", $"ggml-vocab-{name}.gguf"));

    [Fact]
    public void ControlTokensAreParsedOnlyWhenAsked()
    {
        Tokenizer gpt2 = Vocab("gpt-2");
        const string text = "Hi<|endoftext|>there";
        int[] parsed = gpt2.Encode(text, addSpecial: false, parseSpecial: true);
        int[] plain = gpt2.Encode(text, addSpecial: false, parseSpecial: false);
        Assert.Contains(50256, parsed);
        Assert.DoesNotContain(50256, plain);
        Assert.Equal(gpt2.Encode("Hi", addSpecial: false).Concat([50256]).Concat(gpt2.Encode("there", addSpecial: false)), parsed);
        Assert.Equal(text, gpt2.Decode(plain));
        // Control tokens print only when asked.
        Assert.Equal("Hithere", gpt2.Decode(parsed));
        Assert.Equal(text, gpt2.Decode(parsed, unparseSpecial: true));
    }

    [Fact]
    public void SentencePieceAddsBosAndSpacePrefixAfterSpecialTokens()
    {
        Tokenizer llama = Vocab("llama-spm");
        Assert.True(llama.AddBos);
        Assert.Equal(1, llama.Bos);
        Assert.Equal(2, llama.Eos);
        int[] ids = llama.Encode("Hello", addSpecial: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(llama.Encode("Hello", addSpecial: false), ids[1..]);
        // "</s>" parsed as EOS; the text after it gets the SentencePiece space prefix again.
        int[] withEos = llama.Encode("Hi</s>Hi", addSpecial: false, parseSpecial: true);
        int[] hi = llama.Encode("Hi", addSpecial: false);
        Assert.Equal([.. hi, 2, .. hi], withEos);
        // llama.cpp's detokenize: with BOS removed the space prefix stays; without BOS it is stripped.
        Assert.Equal(" Hello", llama.Decode(ids, removeSpecial: true));
        Assert.Equal("Hello", llama.Decode(ids[1..]));
    }

    [Fact]
    public void BytePairModelsWithoutTheFlagGetNoBos()
    {
        Tokenizer model = Tokenizer.FromGguf(SharedData.Model("synth-qwen2-gpt2-Q8_0.gguf"));
        Assert.False(model.AddBos);
        Assert.Equal([7454, 2402, 257, 640], model.Encode("Once upon a time", addSpecial: true));
        Tokenizer deepseek = Vocab("deepseek-llm");
        Assert.True(deepseek.AddBos);
        Assert.Equal(100000, deepseek.Encode("x", addSpecial: true)[0]);
    }

    [Fact]
    public void EndOfGenerationCoversEosAndKnownEndTokens()
    {
        Tokenizer phi3 = Vocab("phi-3");
        Assert.True(phi3.IsEndOfGeneration(32000)); // <|endoftext|>, EOS
        Assert.True(phi3.IsEndOfGeneration(32007)); // <|end|>
        Assert.False(phi3.IsEndOfGeneration(32001)); // <|assistant|>
        Assert.Equal(32007, phi3.Eot);

        Tokenizer starcoder = Vocab("starcoder");
        Assert.True(starcoder.IsEndOfGeneration(0));  // <|endoftext|>
        Assert.True(starcoder.IsEndOfGeneration(4));  // <fim_pad>
        Assert.False(starcoder.IsEndOfGeneration(1)); // <fim_prefix>

        Tokenizer stories = Tokenizer.FromGguf(SharedData.Model("stories260K.gguf"));
        Assert.True(stories.IsEndOfGeneration(2));
        Assert.Null(stories.Eot);
        Assert.Equal(512, stories.VocabSize);
    }

    [Fact]
    public void UserDefinedTokensAreAlwaysMatched()
    {
        // MPT's vocabulary has user-defined tokens for runs of spaces; llama.cpp (and HF) match them in raw text.
        Tokenizer mpt = Vocab("mpt");
        int[] ids = mpt.Encode("a    b", addSpecial: false, parseSpecial: false);
        Assert.Contains(mpt.Vocabulary.TokenToId("    "), ids);
    }

    [Fact]
    public void TokenTextAndBytes()
    {
        Tokenizer gpt2 = Vocab("gpt-2");
        int id = gpt2.Encode(" world", addSpecial: false).Single();
        Assert.Equal("Ġworld", gpt2.TokenText(id));
        Assert.Equal(" world"u8.ToArray(), gpt2.TokenBytes(id).ToArray());

        Tokenizer llama = Vocab("llama-spm");
        Assert.Equal([0xF0], llama.TokenBytes(llama.Vocabulary.TokenToId("<0xF0>")).ToArray());
        Assert.Equal(" Hello"u8.ToArray(), llama.TokenBytes(llama.Vocabulary.TokenToId("▁Hello")).ToArray());
    }
}
