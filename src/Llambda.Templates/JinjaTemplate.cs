namespace Llambda.Templates;

/// <summary>
/// A parsed Jinja2 template — the subset chat templates use, rendered with the semantics of Python Jinja2 3.1 in the
/// ImmutableSandboxedEnvironment that Hugging Face transformers sets up for chat templates.
/// Parse once, render many times; a parsed template is immutable and safe to render from several threads.
/// <para>
/// Not supported (no chat template in the reference set needs them): template inheritance and inclusion
/// (extends/block/include/import), the <c>groupby</c>, <c>slice</c>, <c>wordwrap</c>, <c>urlize</c>, <c>xmlattr</c>,
/// <c>filesizeformat</c>, <c>pprint</c> and <c>random</c> filters, and integers beyond 64 bits (overflow is a
/// <see cref="TemplateErrorKind.Limit"/> error where Python would grow the integer).
/// </para>
/// </summary>
/// <example>
/// <code>
/// var template = JinjaTemplate.Parse(chatTemplateSource);
/// string prompt = template.Render(new Dictionary&lt;string, object?&gt; { ["messages"] = messages, ["add_generation_prompt"] = true });
/// </code>
/// </example>
public sealed class JinjaTemplate
{
    private readonly List<Stmt> _body;
    private readonly SourceMap _map;
    private readonly JinjaOptions _options;

    private JinjaTemplate(List<Stmt> body, SourceMap map, JinjaOptions options)
    {
        _body = body;
        _map = map;
        _options = options;
    }

    /// <summary>Parses <paramref name="source"/>; throws <see cref="TemplateException"/> (kind Syntax, with line and column) when it is not valid.</summary>
    public static JinjaTemplate Parse(string source, JinjaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= JinjaOptions.Default;
        string normalized = Lexer.Normalize(source, options);
        var tokens = Lexer.Tokenize(normalized, options, out SourceMap map);
        var body = Parser.Parse(tokens, map);
        return new JinjaTemplate(body, map, options);
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>: strings, bools, integers, floats, null, dictionaries, lists/arrays,
    /// and <see cref="System.Text.Json.JsonElement"/> values. Throws <see cref="TemplateException"/> when the template
    /// raises (raise_exception), misuses a value (undefined, type error, sandbox violation) or exceeds a limit.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return new Interpreter(_options, _map).Render(_body, variables);
    }
}
