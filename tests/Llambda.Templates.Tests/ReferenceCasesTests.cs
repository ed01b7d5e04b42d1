using System.Text;
using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Templates.Tests;

/// <summary>
/// Every case of shared/reference/chat-templates/cases.json: 135 real chat templates rendered by Python Jinja2 the way
/// transformers does. Renders must be byte-identical; error cases must fail with the same kind of error.
/// </summary>
public class ReferenceCasesTests
{
    private static readonly DateTime s_fixedNow = new(2026, 1, 15, 0, 0, 0);

    /// <summary>Cases we knowingly do not reproduce ("template/fixture"), each with its reason. Keep empty if possible.</summary>
    private static readonly HashSet<string> s_knownFailures = new(StringComparer.Ordinal)
    {
    };

    private sealed record Case(string Template, string Fixture, bool AddGenerationPrompt, JsonElement Variables, string? Expected, string? Error, string? ErrorKind)
    {
        public string Name => $"{Template}/{Fixture}/agp={AddGenerationPrompt}";
    }

    private static List<Case> LoadCases()
    {
        string path = SharedData.Reference("chat-templates", "cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new List<Case>();
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            cases.Add(new Case(
                c.GetProperty("template").GetString()!,
                c.GetProperty("fixture").GetString()!,
                c.TryGetProperty("add_generation_prompt", out var agp) && agp.ValueKind == JsonValueKind.True,
                c.GetProperty("variables").Clone(),
                c.TryGetProperty("expected", out var e) ? e.GetString() : null,
                c.TryGetProperty("error", out var err) ? err.GetString() : null,
                c.TryGetProperty("error_kind", out var k) ? k.GetString() : null));
        }
        return cases;
    }

    private static Dictionary<string, object?> Variables(JsonElement variables)
    {
        var result = new Dictionary<string, object?>();
        foreach (var p in variables.EnumerateObject()) result[p.Name] = p.Value;
        return result;
    }

    private static TemplateErrorKind ExpectedKind(string errorKind) => errorKind switch
    {
        "raise_exception" => TemplateErrorKind.Raised,
        "undefined" => TemplateErrorKind.Undefined,
        "security" => TemplateErrorKind.Security,
        _ => TemplateErrorKind.Type,
    };

    [Fact]
    public void AllReferenceCasesMatchJinja2()
    {
        var cases = LoadCases();
        Assert.Equal(2078, cases.Count);
        var options = new JinjaOptions { Now = () => s_fixedNow };
        var templates = new Dictionary<string, JinjaTemplate>();
        var failures = new List<string>();
        var failedNames = new HashSet<string>(StringComparer.Ordinal);
        int passed = 0;
        foreach (var c in cases)
        {
            string? problem = Run(c, options, templates);
            if (problem == null)
            {
                passed++;
                continue;
            }
            failedNames.Add(c.Name);
            if (!s_knownFailures.Contains(c.Name)) failures.Add($"{c.Name}: {problem}");
        }
        var unexpectedPasses = s_knownFailures.Where(k => !failedNames.Contains(k)).ToList();
        var report = new StringBuilder();
        report.AppendLine($"{passed}/{cases.Count} cases pass; {failures.Count} unexpected failures, {unexpectedPasses.Count} known failures now pass");
        foreach (string f in failures) report.AppendLine(f);
        foreach (string p in unexpectedPasses) report.AppendLine($"{p}: listed as a known failure but passes now (remove it from the list)");
        Assert.True(failures.Count == 0 && unexpectedPasses.Count == 0, report.ToString());
        Assert.Equal(cases.Count - s_knownFailures.Count, passed);
    }

    private static string? Run(Case c, JinjaOptions options, Dictionary<string, JinjaTemplate> templates)
    {
        string rendered;
        try
        {
            if (!templates.TryGetValue(c.Template, out var template))
            {
                string source = File.ReadAllText(SharedData.Reference("chat-templates", c.Template + ".jinja"));
                template = JinjaTemplate.Parse(source, options);
                templates[c.Template] = template;
            }
            rendered = template.Render(Variables(c.Variables));
        }
        catch (TemplateException ex)
        {
            if (c.Error == null) return $"unexpected error: {ex.Kind}: {ex.Message}";
            var expected = ExpectedKind(c.ErrorKind!);
            if (ex.Kind != expected) return $"expected a {expected} error ({c.Error}), got {ex.Kind}: {ex.Message}";
            if (expected == TemplateErrorKind.Raised && ex.Reason != c.Error) return $"expected message '{c.Error}', got '{ex.Reason}'";
            return null;
        }
        if (c.Error != null) return $"expected error {c.ErrorKind} ({c.Error}) but rendered {Excerpt(rendered)}";
        if (rendered == c.Expected) return null;
        int at = 0;
        while (at < rendered.Length && at < c.Expected!.Length && rendered[at] == c.Expected[at]) at++;
        return $"output differs at char {at}: expected {Excerpt(c.Expected![Math.Max(0, at - 20)..])} got {Excerpt(rendered[Math.Max(0, at - 20)..])}";
    }

    private static string Excerpt(string s) => JsonSerializer.Serialize(s.Length > 80 ? s[..80] : s);
}
