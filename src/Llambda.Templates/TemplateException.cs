namespace Llambda.Templates;

/// <summary>What went wrong, in Jinja2's terms, so callers (and tests) can tell a template bug from a refused input.</summary>
public enum TemplateErrorKind
{
    /// <summary>The template source does not parse (Jinja2 <c>TemplateSyntaxError</c>).</summary>
    Syntax,
    /// <summary>An undefined value was used in a way that needs a value (Jinja2 <c>UndefinedError</c>).</summary>
    Undefined,
    /// <summary>An operation got values of the wrong type (Python <c>TypeError</c>/<c>ValueError</c>).</summary>
    Type,
    /// <summary>Division or modulo by zero (Python <c>ZeroDivisionError</c>).</summary>
    ZeroDivision,
    /// <summary>The sandbox refused an operation, e.g. <c>list.append</c> (Jinja2 <c>SecurityError</c>).</summary>
    Security,
    /// <summary>The template called <c>raise_exception(message)</c>; <see cref="TemplateException.Reason"/> is that message.</summary>
    Raised,
    /// <summary>A resource limit (steps, output size, recursion depth) was hit.</summary>
    Limit,
    /// <summary>Any other runtime error (Jinja2 <c>TemplateRuntimeError</c>).</summary>
    Runtime,
}

/// <summary>A template failed to parse or to render. <see cref="Line"/>/<see cref="Column"/> are 1-based, 0 when unknown.</summary>
public class TemplateException : Exception
{
    public TemplateException(string reason, TemplateErrorKind kind, int line = 0, int column = 0)
        : base(Format(reason, line, column))
    {
        Reason = reason;
        Kind = kind;
        Line = line;
        Column = column;
    }

    /// <summary>The message without the location suffix (for <see cref="TemplateErrorKind.Raised"/>, exactly the template's text).</summary>
    public string Reason { get; }

    public TemplateErrorKind Kind { get; }

    public int Line { get; private set; }

    public int Column { get; private set; }

    public override string Message => Format(Reason, Line, Column);

    /// <summary>Runtime errors are thrown deep in value code that knows no position; the interpreter stamps the first known one on the way out.</summary>
    internal TemplateException WithPosition(int line, int column)
    {
        if (Line == 0 && line > 0)
        {
            Line = line;
            Column = column;
        }
        return this;
    }

    private static string Format(string reason, int line, int column) =>
        line > 0 ? $"{reason} (line {line}, column {column})" : reason;
}
