using System.Text;
using Llambda.Testing;
using Llambda.Tokenizers;

namespace Llambda.Tokenizers.Tests;

public class StreamingDecoderTests
{
    public static TheoryData<string> Vocabs() =>
        ["ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-falcon.gguf", "ggml-vocab-phi-3.gguf"];

    private const string Text = "emoji 🦙🚀😶‍🌫️ CJK 日本語の文章 한국어 mixed ½ Äpfel 𝓐𝓑 ok";

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void StreamingEqualsFullDecodeAndNeverSplitsACharacter(string vocabFile)
    {
        Tokenizer tokenizer = Tokenizer.FromGguf(SharedData.Reference("tokenizer", vocabFile));
        int[] ids = tokenizer.Encode(Text, addSpecial: true);
        // Multi-byte characters must really be split across tokens for this test to mean anything.
        Assert.Contains(ids, id => !Utf8Complete(tokenizer.TokenBytes(id)));

        var decoder = tokenizer.CreateStreamingDecoder();
        var streamed = new StringBuilder();
        foreach (int id in ids)
        {
            string piece = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', piece);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "half a surrogate pair emitted");
            streamed.Append(piece);
        }
        streamed.Append(decoder.Flush());
        Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
        Assert.Equal(Text, tokenizer.Decode(tokenizer.Encode(Text, addSpecial: false)));
    }

    [Fact]
    public void FlushEmitsReplacementForAnIncompleteCharacter()
    {
        Tokenizer llama = Tokenizer.FromGguf(SharedData.Reference("tokenizer", "ggml-vocab-llama-spm.gguf"));
        var decoder = llama.CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(llama.Vocabulary.TokenToId("<0xF0>")));
        Assert.Equal("", decoder.Append(llama.Vocabulary.TokenToId("<0x9F>")));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void StringBuilderOverloadAppendsWithoutIntermediateStrings()
    {
        Tokenizer gpt2 = Tokenizer.FromGguf(SharedData.Reference("tokenizer", "ggml-vocab-gpt-2.gguf"));
        int[] ids = gpt2.Encode("日本語 🦙", addSpecial: false);
        var decoder = gpt2.CreateStreamingDecoder();
        var sb = new StringBuilder();
        foreach (int id in ids) decoder.Append(id, sb);
        sb.Append(decoder.Flush());
        Assert.Equal("日本語 🦙", sb.ToString());
    }

    private static bool Utf8Complete(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes);
}
