using System.Text.Json;
using Llambda.Gguf;
using Llambda.Testing;
using Llambda.Tokenizers;

namespace Llambda.Tokenizers.Tests;

public class HuggingFaceTokenizerTests
{
    private static readonly string SmolLm = SharedData.Reference("hf-tokenizer", "smollm2-135m-instruct", "tokenizer.json");

    [Fact]
    public void SmolLm2LoadsWithChatTokensAndRoundTrips()
    {
        Tokenizer tok = Tokenizer.FromHuggingFaceJson(SmolLm);
        Assert.Equal(49152, tok.VocabSize);
        Assert.Equal(1, tok.Bos);  // config.json
        Assert.Equal(2, tok.Eos);
        Assert.False(tok.AddBos);
        Assert.True(tok.IsEndOfGeneration(2)); // <|im_end|>
        Assert.True(tok.IsEndOfGeneration(0)); // <|endoftext|>

        int[] chat = tok.Encode("<|im_start|>user\nHi<|im_end|>\n", addSpecial: true, parseSpecial: true);
        Assert.Equal(1, chat[0]);
        Assert.Contains(2, chat);
        Assert.DoesNotContain(1, tok.Encode("<|im_start|>user", addSpecial: true, parseSpecial: false));

        // Digits are split one by one (Digits pre-tokenizer), like llama.cpp's "smollm".
        int[] digits = tok.Encode("12345", addSpecial: false);
        Assert.Equal(5, digits.Length);

        foreach ((string input, int[] _) in TokenizerVectorTests.ReadVectors("ggml-vocab-starcoder.gguf"))
            Assert.Equal(input, tok.Decode(tok.Encode(input, addSpecial: false)));
    }

    /// <summary>
    /// No GGUF in the fixtures shares SmolLM2's vocabulary, so the loader is checked against llama.cpp another way:
    /// GGUF vocabularies re-written as tokenizer.json files (vocab, merges, added tokens, the pre-tokenizer chain HF
    /// uses for that model) must give llama.cpp's ids on its test vectors.
    /// </summary>
    [Theory]
    [InlineData("ggml-vocab-gpt-2.gguf", false)]
    [InlineData("ggml-vocab-starcoder.gguf", true)]
    public void TokenizerJsonGivesLlamaCppIds(string vocabFile, bool individualDigits)
    {
        string json = Path.Combine(Path.GetTempPath(), $"llambda-{Guid.NewGuid():N}-tokenizer.json");
        try
        {
            WriteTokenizerJson(SharedData.Reference("tokenizer", vocabFile), json, individualDigits);
            Tokenizer fromJson = Tokenizer.FromHuggingFaceJson(json);
            var mismatches = new List<string>();
            foreach ((string input, int[] expected) in TokenizerVectorTests.ReadVectors(vocabFile))
            {
                int[] actual = fromJson.Encode(input, addSpecial: false, parseSpecial: false);
                if (!actual.SequenceEqual(expected)) mismatches.Add(TokenizerVectorTests.Escape(input));
            }
            Assert.True(mismatches.Count == 0, "differ: " + string.Join(", ", mismatches));
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static void WriteTokenizerJson(string gguf, string path, bool individualDigits)
    {
        using var file = GgufFile.Open(gguf);
        string[] tokens = file.Metadata.GetStringArray("tokenizer.ggml.tokens");
        int[] types = file.Metadata.GetInt32Array("tokenizer.ggml.token_type");
        string[] merges = file.Metadata.GetStringArray("tokenizer.ggml.merges");
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteStartArray("added_tokens");
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types[i] == 1) continue;
            w.WriteStartObject();
            w.WriteNumber("id", i);
            w.WriteString("content", tokens[i]);
            w.WriteBoolean("special", types[i] == 3);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        if (individualDigits)
        {
            w.WriteStartObject(); w.WriteString("type", "Digits"); w.WriteBoolean("individual_digits", true); w.WriteEndObject();
        }
        w.WriteStartObject(); w.WriteString("type", "ByteLevel"); w.WriteBoolean("add_prefix_space", false); w.WriteBoolean("use_regex", true); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteStartObject("vocab");
        var seen = new HashSet<string>();
        for (int i = 0; i < tokens.Length; i++)
            if (types[i] == 1 && seen.Add(tokens[i])) w.WriteNumber(tokens[i], i);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (string m in merges) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
