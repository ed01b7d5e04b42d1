using System.Text;
using Llambda.Testing;
using Llambda.Tokenizers;
using Xunit.Abstractions;

namespace Llambda.Tokenizers.Tests;

/// <summary>llama.cpp's tokenizer test vectors: every input of every vocab file, exact ids.</summary>
public class TokenizerVectorTests(ITestOutputHelper output)
{
    public static TheoryData<string> VocabFiles()
    {
        var data = new TheoryData<string>();
        foreach (string inp in Directory.EnumerateFiles(SharedData.Reference("tokenizer"), "*.gguf.inp").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(inp)[..^".inp".Length]);
        return data;
    }

    /// <summary>Inputs are separated by "\n__ggml_vocab_test__\n" and the file ends with one; .out has a line of ids per input.</summary>
    internal static List<(string Input, int[] Ids)> ReadVectors(string vocabFile)
    {
        string inp = File.ReadAllText(SharedData.Reference("tokenizer", vocabFile + ".inp"), Encoding.UTF8);
        string[] inputs = inp.Split("\n__ggml_vocab_test__\n");
        Assert.Equal("", inputs[^1]);
        string[] lines = File.ReadAllText(SharedData.Reference("tokenizer", vocabFile + ".out")).Split('\n');
        var result = new List<(string, int[])>();
        for (int i = 0; i < inputs.Length - 1; i++)
        {
            int[] ids = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            result.Add((inputs[i], ids));
        }
        return result;
    }

    internal static Tokenizer Load(string vocabFile) => Tokenizer.FromGguf(SharedData.Reference("tokenizer", vocabFile));

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void EncodesLikeLlamaCpp(string vocabFile)
    {
        Tokenizer tokenizer = Load(vocabFile);
        var vectors = ReadVectors(vocabFile);
        var failures = new StringBuilder();
        int passed = 0;
        foreach ((string input, int[] expected) in vectors)
        {
            int[] actual = tokenizer.Encode(input, addSpecial: false, parseSpecial: false);
            if (actual.SequenceEqual(expected)) { passed++; continue; }
            failures.AppendLine($"input {Escape(input)}\n  expected [{string.Join(' ', expected)}]\n  actual   [{string.Join(' ', actual)}]");
        }
        output.WriteLine($"{vocabFile}: {passed}/{vectors.Count} inputs match");
        Assert.True(failures.Length == 0, $"{vocabFile}: {vectors.Count - passed} of {vectors.Count} inputs differ:\n{failures}");
    }

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void DecodeRoundTrips(string vocabFile)
    {
        Tokenizer tokenizer = Load(vocabFile);
        var failures = new StringBuilder();
        int checkedCount = 0;
        foreach ((string input, int[] _) in ReadVectors(vocabFile))
        {
            if (!Representable(tokenizer, input)) continue;
            checkedCount++;
            string decoded = tokenizer.Decode(tokenizer.Encode(input, addSpecial: false));
            if (decoded != input) failures.AppendLine($"{Escape(input)} -> {Escape(decoded)}");
        }
        output.WriteLine($"{vocabFile}: {checkedCount} inputs round-trip checked");
        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>
    /// Whether decode(encode(text)) can give text back: WordPiece normalizes (lowercase, NFD, drops spaces),
    /// and a vocabulary without byte fallback maps unknown characters to &lt;unk&gt;.
    /// </summary>
    internal static bool Representable(Tokenizer tokenizer, string input)
    {
        if (tokenizer.Vocabulary.Kind == TokenizerKind.WordPiece) return false;
        int[] ids = tokenizer.Encode(input, addSpecial: false);
        return !ids.Any(id => tokenizer.GetTokenType(id) == TokenType.Unknown);
    }

    internal static string Escape(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", '"' => "\\\"", _ => c.ToString() });
        return sb.Append('"').ToString();
    }
}
