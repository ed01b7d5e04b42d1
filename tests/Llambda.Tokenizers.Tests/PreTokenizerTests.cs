using Llambda.Tokenizers;

namespace Llambda.Tokenizers.Tests;

public class PreTokenizerTests
{
    private static string[] Split(string pre, string text)
    {
        var words = new List<(int Start, int Length)>();
        PreTokenizers.ForName(pre).Split(text, words);
        return words.Select(w => text.Substring(w.Start, w.Length)).ToArray();
    }

    [Fact]
    public void Gpt2KeepsTheLastSpaceWithTheNextWord() =>
        Assert.Equal(["Hello", " ", " world", "'s", "!!", "\n"], Split("gpt-2", "Hello  world's!!\n"));

    [Fact]
    public void AstralCharactersAreOneCodePointLikeInLlamaCpp()
    {
        // [^\r\n\p{L}\p{N}]?\p{L}+ takes the emoji as its one leading character; on raw UTF-16 .NET would split it.
        Assert.Equal(["🦙abc", " 𝓐𝓑"], Split("llama-bpe", "🦙abc 𝓐𝓑"));
        // Mathematical letters are letters (\p{L}) even though they are surrogate pairs in .NET strings.
        Assert.Equal(["𝓐𝓑", " x"], Split("gpt-2", "𝓐𝓑 x"));
    }

    [Fact]
    public void DigitRulesPerModel()
    {
        Assert.Equal(["123", "456", "78"], Split("falcon", "12345678"));
        Assert.Equal(["123", "456", "78"], Split("llama-bpe", "12345678"));
        Assert.Equal(["1", "2", "3"], Split("qwen2", "123"));
        Assert.Equal(["1", "2", "3"], Split("starcoder", "123"));
    }

    [Fact]
    public void UnknownNamesAreRefused() =>
        Assert.Throws<NotSupportedException>(() => PreTokenizers.ForName("no-such-pre"));
}
