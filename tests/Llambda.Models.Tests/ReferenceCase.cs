using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Models.Tests;

/// <summary>One prompt of <c>shared/reference/generate/MODEL.json</c>: llama.cpp's prompt ids and greedy steps.</summary>
public sealed record ReferenceCase(string Model, string Prompt, int[] PromptIds, ReferenceStep[] Steps)
{
    public static IReadOnlyList<ReferenceCase> Load(string modelFile)
    {
        string path = SharedData.Reference("generate", Path.GetFileNameWithoutExtension(modelFile) + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new List<ReferenceCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var steps = c.GetProperty("steps").EnumerateArray().Select(s => new ReferenceStep(
                s.GetProperty("id").GetInt32(),
                s.GetProperty("top").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetSingle())).ToArray())).ToArray();
            cases.Add(new ReferenceCase(modelFile, c.GetProperty("prompt").GetString()!,
                c.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(), steps));
        }
        return cases;
    }

    public static IEnumerable<string> ModelsWithReferences() =>
        Directory.EnumerateFiles(SharedData.Reference("generate"), "*.json")
            .Select(p => Path.GetFileNameWithoutExtension(p) + ".gguf")
            .Order(StringComparer.Ordinal);
}

/// <summary>The greedy token at one step and the reference's top-5 (id, logit).</summary>
public sealed record ReferenceStep(int Id, (int Id, float Logit)[] Top);
