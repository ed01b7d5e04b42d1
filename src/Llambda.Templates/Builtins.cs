namespace Llambda.Templates;

/// <summary>
/// Global functions every template sees: Jinja2's (range, dict, namespace, joiner, cycler) and the ones
/// transformers adds for chat templates (raise_exception, strftime_now).
/// </summary>
internal static class Builtins
{
    /// <summary>Jinja2's sandbox refuses ranges longer than this (<c>MAX_RANGE</c>).</summary>
    public const long MaxRange = 100_000;

    public static Scope CreateGlobals()
    {
        var globals = new Scope(null);
        Add(globals, "range", Range);
        Add(globals, "dict", Dict);
        Add(globals, "namespace", NewNamespace);
        Add(globals, "raise_exception", (_, args) =>
            throw new TemplateException(Py.Str(args.Get(0, "message", "")), TemplateErrorKind.Raised));
        Add(globals, "strftime_now", (interpreter, args) =>
            Strftime.Format(interpreter.Options.Now(), Py.Str(args.Get(0, "format", ""))));
        Add(globals, "joiner", (_, args) =>
        {
            string separator = Py.Str(args.Get(0, "sep", ", "));
            bool used = false;
            return new BuiltinFunction("joiner", (_, _) =>
            {
                if (used) return separator;
                used = true;
                return "";
            });
        });
        Add(globals, "cycler", (_, args) => new Cycler(args.Positional.ToArray()));
        return globals;
    }

    private static void Add(Scope globals, string name, Func<Interpreter, Arguments, object?> body) =>
        globals.Set(name, new BuiltinFunction(name, body));

    private static object? Range(Interpreter interpreter, Arguments args)
    {
        long Int(object? v) => v is long or bool
            ? Py.ToLong(v)
            : throw new TemplateException($"'{Py.TypeName(v)}' object cannot be interpreted as an integer", TemplateErrorKind.Type);
        long start = 0, stop, step = 1;
        switch (args.Count)
        {
            case 1: stop = Int(args.Positional[0]); break;
            case 2: start = Int(args.Positional[0]); stop = Int(args.Positional[1]); break;
            case 3: start = Int(args.Positional[0]); stop = Int(args.Positional[1]); step = Int(args.Positional[2]); break;
            default: throw new TemplateException($"range expected 1 to 3 arguments, got {args.Count}", TemplateErrorKind.Type);
        }
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero", TemplateErrorKind.Type);
        var range = new PyRange(start, stop, step);
        if (range.Count > MaxRange)
            throw new TemplateException($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).", TemplateErrorKind.Limit);
        return range;
    }

    private static object? Dict(Interpreter interpreter, Arguments args)
    {
        var dict = new PyDict();
        if (args.Count > 0)
        {
            if (args.Positional[0] is PyDict source)
            {
                foreach (var kv in source) dict.Set(kv.Key, kv.Value);
            }
            else
            {
                foreach (object? pair in Py.Iterate(args.Positional[0]))
                {
                    var items = Py.Iterate(pair).ToList();
                    if (items.Count != 2) throw new TemplateException("dictionary update sequence element has wrong length", TemplateErrorKind.Type);
                    dict.Set(items[0], items[1]);
                }
            }
        }
        foreach (var kv in args.Keywords) dict.Set(kv.Key, kv.Value);
        return dict;
    }

    private static object? NewNamespace(Interpreter interpreter, Arguments args)
    {
        var ns = new Namespace();
        foreach (object? initial in args.Positional)
        {
            if (initial is not PyDict source) throw new TemplateException("namespace() takes mappings and keyword arguments", TemplateErrorKind.Type);
            foreach (var kv in source) ns.Attributes.Set(kv.Key, kv.Value);
        }
        foreach (var kv in args.Keywords) ns.Attributes.Set(kv.Key, kv.Value);
        return ns;
    }
}

/// <summary>Jinja2's <c>cycler(a, b, ...)</c>: <c>.next()</c>, <c>.reset()</c>, <c>.current</c>.</summary>
internal sealed class Cycler(object?[] items) : Callable
{
    private int _position;

    public override string Name => "cycler";

    public object? Current => items.Length > 0 ? items[_position] : Undefined.WithHint("cycler has no items");

    public object? GetAttribute(string name) => name switch
    {
        "current" => Current,
        "next" => new BuiltinFunction("next", (_, _) =>
        {
            object? value = Current;
            if (items.Length > 0) _position = (_position + 1) % items.Length;
            return value;
        }),
        "reset" => new BuiltinFunction("reset", (_, _) =>
        {
            _position = 0;
            return null;
        }),
        _ => Undefined.Attribute(this, name),
    };

    public override object? Invoke(Interpreter interpreter, Arguments args) =>
        throw new TemplateException("'Cycler' object is not callable", TemplateErrorKind.Type);
}
