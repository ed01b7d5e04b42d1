using System.Diagnostics;
using System.Text.Json;
using Llambda.Testing;

namespace Llambda.Templates.Tests;

/// <summary>Behaviour beyond Jinja2 parity: limits, error positions, options, .NET inputs, speed.</summary>
public class EngineTests
{
    private static string Render(string source, object? vars = null, JinjaOptions? options = null)
    {
        var variables = vars as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>();
        return JinjaTemplate.Parse(source, options).Render(variables);
    }

    private static TemplateException RenderFails(string source, TemplateErrorKind kind, JinjaOptions? options = null)
    {
        var ex = Assert.Throws<TemplateException>(() => Render(source, null, options));
        Assert.True(ex.Kind == kind, $"expected {kind}, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    // ---------------------------------------------------------------- lexer / parser

    [Theory]
    [InlineData("{% if %}{% endif %}", 1, 7)]
    [InlineData("line one\nline two {{ foo( }}", 2, 18)]
    [InlineData("a\nb\n{% for x in y %}\n{% endif %}", 4, 4)]
    [InlineData("{% if x %}\nnever closed", 2, 13)]
    [InlineData("\n\n  {% unknowntag %}", 3, 6)]
    [InlineData("{{ 'unterminated }}", 1, 4)]
    [InlineData("{{ 1 + }}", 1, 8)]
    [InlineData("{# no end", 1, 1)]
    [InlineData("{{ x | nosuchfilter }}", 1, 8)]
    public void SyntaxErrorsCarryLineAndColumn(string source, int line, int column)
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(source));
        Assert.Equal(TemplateErrorKind.Syntax, ex.Kind);
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains($"line {line}", ex.Message);
    }

    [Fact]
    public void RuntimeErrorsCarryTheLine()
    {
        var ex = RenderFails("ok\n{% set x = 1 %}\n{{ 'a' + none }}", TemplateErrorKind.Type);
        Assert.Equal(3, ex.Line);
        Assert.Contains("can only concatenate str", ex.Reason);
    }

    [Fact]
    public void UnknownFilterInsideIfFailsOnlyWhenReached()
    {
        // Jinja2 defers unknown filters inside if blocks to render time (DeepSeek templates rely on this for from_json).
        var template = JinjaTemplate.Parse("{% if x is string %}{{ x | from_json }}{% endif %}ok");
        Assert.Equal("ok", template.Render(new Dictionary<string, object?> { ["x"] = 1 }));
        var ex = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?> { ["x"] = "{}" }));
        Assert.Contains("from_json", ex.Message);
    }

    [Fact]
    public void DeeplyNestedSourceIsASyntaxErrorNotAStackOverflow()
    {
        string source = "{{ " + new string('(', 50_000) + "1" + new string(')', 50_000) + " }}";
        RenderFails(source, TemplateErrorKind.Syntax);
        string nots = "{{ " + string.Concat(Enumerable.Repeat("not ", 50_000)) + "1 }}";
        RenderFails(nots, TemplateErrorKind.Syntax);
        string ifs = string.Concat(Enumerable.Repeat("{% if true %}", 50_000));
        RenderFails(ifs, TemplateErrorKind.Syntax);
    }

    // ---------------------------------------------------------------- whitespace and options

    [Fact]
    public void TrimAndLstripBlocksAreOnByDefault()
    {
        string source = "<ul>\n  {% for x in [1, 2] %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n";
        Assert.Equal("<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>", Render(source));
    }

    [Fact]
    public void OptionsTurnWhitespaceHandlingOff()
    {
        string source = "<ul>\n  {% for x in [1] %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n";
        var options = new JinjaOptions { TrimBlocks = false, LstripBlocks = false, KeepTrailingNewline = true };
        Assert.Equal("<ul>\n  \n  <li>1</li>\n  \n</ul>\n", Render(source, options: options));
    }

    [Fact]
    public void WhitespaceModifiers()
    {
        Assert.Equal("ab", Render("a  {{- 'b' }}"));
        Assert.Equal("ab", Render("{{ 'a' -}}  \n b"));
        Assert.Equal("a|b", Render("a\n  {%- if true -%}\n  |\n  {%- endif -%}\n  b"));
        Assert.Equal("a\n", Render("a\n{# comment #}\n"));
        Assert.Equal("  x", Render("  {%+ if true %}x{% endif %}"));
        Assert.Equal("\nxy", Render("{% if true +%}\nx{% endif %}\ny"));
        Assert.Equal("a\nb", Render("a\r\n{% if true %}\r\nb{% endif %}\r\n"));
    }

    // ---------------------------------------------------------------- values in and out

    [Fact]
    public void PlainDotNetValuesAreAccepted()
    {
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = new List<object?>
            {
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
                new Dictionary<string, object> { ["role"] = "assistant", ["content"] = "yo" },
            },
            ["count"] = 3,
            ["ratio"] = 0.5f,
            ["flags"] = new[] { true, false },
            ["nothing"] = null,
        };
        string output = Render(
            "{% for m in messages %}{{ m.role }}:{{ m['content'] }};{% endfor %}{{ count * 2 }} {{ ratio }} {{ flags }} {{ nothing }} {{ messages|tojson }}",
            vars);
        Assert.Equal("user:hi;assistant:yo;6 0.5 [True, False] None [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]", output);
    }

    [Fact]
    public void JsonElementsKeepIntegersIntegralAndKeyOrder()
    {
        using var doc = JsonDocument.Parse("""{"z": 1, "a": 2.0, "m": [1e2, -0, "x"], "n": null, "t": true}""");
        var vars = new Dictionary<string, object?> { ["v"] = doc.RootElement.Clone() };
        Assert.Equal("{\"z\": 1, \"a\": 2.0, \"m\": [100.0, 0, \"x\"], \"n\": null, \"t\": true}|z,a,m,n,t",
            Render("{{ v|tojson }}|{{ v.keys()|join(',') }}", vars));
    }

    [Fact]
    public void ArbitraryObjectsAreRefusedNotReflectedOver()
    {
        var vars = new Dictionary<string, object?> { ["o"] = new Uri("http://example.com") };
        var ex = Assert.Throws<TemplateException>(() => Render("{{ o }}", vars));
        Assert.Equal(TemplateErrorKind.Type, ex.Kind);
    }

    [Fact]
    public void StrftimeNowUsesTheConfiguredClock()
    {
        var options = new JinjaOptions { Now = () => new DateTime(2026, 1, 15, 13, 5, 9) };
        Assert.Equal("15 Jan 2026|January 15, 2026|Thursday|01:05:09 PM|015",
            Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A') }}|{{ strftime_now('%I:%M:%S %p') }}|{{ strftime_now('%j') }}", options: options));
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplateMessage()
    {
        var ex = RenderFails("{{ raise_exception('Conversation roles must alternate') }}", TemplateErrorKind.Raised);
        Assert.Equal("Conversation roles must alternate", ex.Reason);
    }

    [Theory]
    [InlineData("{{ [1].append(2) }}", TemplateErrorKind.Security)]
    [InlineData("{{ {'a': 1}.update({}) }}", TemplateErrorKind.Security)]
    [InlineData("{{ ''.__class__.__name__ }}", TemplateErrorKind.Security)]
    [InlineData("{{ missing.attr }}", TemplateErrorKind.Undefined)]
    [InlineData("{{ missing + 'x' }}", TemplateErrorKind.Undefined)]
    [InlineData("{{ 'x' + none }}", TemplateErrorKind.Type)]
    [InlineData("{{ [1] | map('upper') | tojson }}", TemplateErrorKind.Type)]
    [InlineData("{{ 1 // 0 }}", TemplateErrorKind.ZeroDivision)]
    public void RuntimeErrorsHaveTheirKind(string source, TemplateErrorKind kind) => RenderFails(source, kind);

    [Fact]
    public void IntegersAre64Bit()
    {
        // Python has unbounded integers; chat templates never need more than 64 bits, so overflow is a clear error.
        Assert.Equal("9223372036854775807", Render("{{ 9223372036854775806 + 1 }}"));
        var ex = RenderFails("{{ 2 ** 70 }}", TemplateErrorKind.Limit);
        Assert.Contains("overflow", ex.Message);
    }

    // ---------------------------------------------------------------- limits

    // The limits are counted (steps, characters, depth), not timed, so these hold on any machine; that the count
    // is reached quickly follows from the bounds themselves (no test asserts wall-clock time).
    private static void FailsFast(string source, string messagePart, JinjaOptions? options = null)
    {
        var ex = RenderFails(source, TemplateErrorKind.Limit, options);
        Assert.Contains(messagePart, ex.Message);
    }

    [Fact]
    public void NestedHugeLoopsStopAtTheStepLimit() =>
        FailsFast("{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}", "steps");

    [Fact]
    public void HugeRangeIsRefusedLikeTheSandbox() => FailsFast("{% for i in range(10**9) %}{% endfor %}", "MAX_RANGE");

    [Fact]
    public void DoublingStringStopsAtTheSizeLimit() =>
        FailsFast("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", "limit");

    [Fact]
    public void StringRepetitionIsCheckedBeforeAllocating() => FailsFast("{{ 'x' * 10**12 }}", "limit");

    [Fact]
    public void OutputSizeIsBounded() =>
        FailsFast("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "output", new JinjaOptions { MaxOutputChars = 1_000_000 });

    [Fact]
    public void RunawayRecursionStops()
    {
        FailsFast("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "recursion");
        // Even with an absurd configured depth the process must survive (the real stack is checked too).
        FailsFast("{% macro r(n) %}{% if true %}{{ r(n + 1) }}{% endif %}{% endmacro %}{{ r(0) }}", "nests", new JinjaOptions { MaxRecursionDepth = 10_000_000, MaxSteps = long.MaxValue });
    }

    [Fact]
    public void RecursionWithinTheLimitWorks() =>
        Assert.Equal("54321", Render("{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(5) }}"));

    // ---------------------------------------------------------------- threading and speed

    private static (JinjaTemplate Template, Dictionary<string, object?> Variables) LoadReferenceCase(string template, string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Reference("chat-templates", "cases.json")));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            if (c.GetProperty("template").GetString() != template || c.GetProperty("fixture").GetString() != fixture) continue;
            var vars = new Dictionary<string, object?>();
            foreach (var p in c.GetProperty("variables").EnumerateObject()) vars[p.Name] = p.Value.Clone();
            string source = File.ReadAllText(SharedData.Reference("chat-templates", template + ".jinja"));
            return (JinjaTemplate.Parse(source), vars);
        }
        throw new InvalidOperationException("case not found");
    }

    [Fact]
    public void ATemplateRendersConcurrently()
    {
        var (template, vars) = LoadReferenceCase("Qwen-Qwen2.5-7B-Instruct", "e_tool_call");
        string expected = template.Render(vars);
        Parallel.For(0, 64, _ => Assert.Equal(expected, template.Render(vars)));
    }
}
