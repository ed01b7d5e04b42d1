using System.Text;
using System.Text.Json;

namespace Llambda.Templates.Tests;

/// <summary>
/// Small snippets exercising one feature each (operators, literals, filters, tests, methods, loops, macros,
/// whitespace control, error cases), with expected results produced by Python Jinja2 3.1.6 configured like
/// transformers (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, json.dumps tojson).
/// Files: jinja2-oracle-cases.json (template, expected or error kind) and jinja2-oracle-variables.json.
/// </summary>
public class OracleCasesTests
{
    private static readonly DateTime s_fixedNow = new(2026, 1, 15, 0, 0, 0);

    [Fact]
    public void SnippetsMatchPythonJinja2()
    {
        string dir = AppContext.BaseDirectory;
        using var cases = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "jinja2-oracle-cases.json")));
        using var vars = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "jinja2-oracle-variables.json")));
        var variables = new Dictionary<string, object?>();
        foreach (var p in vars.RootElement.EnumerateObject()) variables[p.Name] = p.Value;
        var options = new JinjaOptions { Now = () => s_fixedNow };

        var failures = new StringBuilder();
        int count = 0;
        foreach (var c in cases.RootElement.EnumerateArray())
        {
            count++;
            string source = c.GetProperty("template").GetString()!;
            string? expected = c.TryGetProperty("expected", out var e) ? e.GetString() : null;
            string? errorKind = c.TryGetProperty("error", out var k) ? k.GetString() : null;
            string? problem;
            try
            {
                string rendered = JinjaTemplate.Parse(source, options).Render(variables);
                problem = expected == null ? $"expected {errorKind} error, rendered {JsonSerializer.Serialize(rendered)}"
                    : rendered == expected ? null
                    : $"expected {JsonSerializer.Serialize(expected)}\n      got {JsonSerializer.Serialize(rendered)}";
            }
            catch (TemplateException ex)
            {
                problem = expected != null ? $"expected {JsonSerializer.Serialize(expected)}, got error {ex.Kind}: {ex.Message}"
                    : ex.Kind.ToString() == errorKind ? null
                    : $"expected {errorKind} error ({c.GetProperty("message").GetString()}), got {ex.Kind}: {ex.Message}";
            }
            if (problem != null) failures.AppendLine($"{JsonSerializer.Serialize(source)}\n    {problem}");
        }
        Assert.True(failures.Length == 0, $"of {count} snippets:\n{failures}");
    }
}
