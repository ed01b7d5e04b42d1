using System.Text;
using System.Text.Json;
using Llambda.Testing;
using Llambda.Tokenizers;
using Xunit.Abstractions;

namespace Llambda.Tokenizers.Tests;

/// <summary>
/// llama.cpp's prompt ids for the shared models (reference/generate/*.json: add_special and parse_special on,
/// BOS per the model's metadata) and its greedy continuations as text.
/// </summary>
public class GenerateReferenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> ReferenceFiles()
    {
        var data = new TheoryData<string>();
        foreach (string f in Directory.EnumerateFiles(SharedData.Reference("generate"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    private static (Tokenizer Tokenizer, JsonElement Cases) Load(string referenceFile, out JsonDocument doc)
    {
        doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Reference("generate", referenceFile)));
        string model = doc.RootElement.GetProperty("model").GetString()!;
        return (Tokenizer.FromGguf(SharedData.Model(model)), doc.RootElement.GetProperty("cases"));
    }

    private static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void PromptIdsMatchLlamaCpp(string referenceFile)
    {
        var (tokenizer, cases) = Load(referenceFile, out JsonDocument doc);
        using (doc)
        {
            var failures = new StringBuilder();
            int total = 0, passed = 0;
            foreach (JsonElement c in cases.EnumerateArray())
            {
                total++;
                string prompt = c.GetProperty("prompt").GetString()!;
                int[] expected = Ids(c.GetProperty("prompt_ids"));
                int[] actual = tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);
                if (actual.SequenceEqual(expected)) passed++;
                else failures.AppendLine($"{TokenizerVectorTests.Escape(prompt)}\n  expected [{string.Join(' ', expected)}]\n  actual   [{string.Join(' ', actual)}]");
            }
            output.WriteLine($"{referenceFile}: {passed}/{total} prompts match");
            Assert.True(failures.Length == 0, failures.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void GreedyTextDecodesAlikeInOneGoAndStreaming(string referenceFile)
    {
        var (tokenizer, cases) = Load(referenceFile, out JsonDocument doc);
        using (doc)
        {
            foreach (JsonElement c in cases.EnumerateArray())
            {
                int[] ids = Ids(c.GetProperty("greedy_ids"));
                string expected = c.GetProperty("greedy_text").GetString()!;
                // The reference renders special tokens as text. The continuation follows the prompt (no leading-space
                // removal), so decode prompt + continuation and compare the tail.
                int[] prompt = Ids(c.GetProperty("prompt_ids"));
                string promptText = tokenizer.Decode(prompt, unparseSpecial: true);
                string whole = tokenizer.Decode([.. prompt, .. ids], unparseSpecial: true);
                Assert.StartsWith(promptText, whole);
                Assert.Equal(expected, whole[promptText.Length..]);

                var streaming = tokenizer.CreateStreamingDecoder(unparseSpecial: true);
                var sb = new StringBuilder();
                foreach (int id in prompt) sb.Append(streaming.Append(id));
                foreach (int id in ids) sb.Append(streaming.Append(id));
                sb.Append(streaming.Flush());
                Assert.Equal(whole, sb.ToString());
            }
        }
    }
}
