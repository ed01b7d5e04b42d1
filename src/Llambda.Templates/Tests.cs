namespace Llambda.Templates;

/// <summary>Jinja2's built-in tests (<c>value is name(args)</c>), with Python's type rules (bool is a number, not an integer).</summary>
internal static class Tests
{
    private delegate bool Test(Interpreter interpreter, object? value, Arguments args);

    private static readonly Dictionary<string, Test> s_tests = new(StringComparer.Ordinal)
    {
        ["boolean"] = (_, v, _) => v is bool,
        ["callable"] = (_, v, _) => v is Callable or LoopContext,
        ["defined"] = (_, v, _) => v is not Undefined,
        ["divisibleby"] = (_, v, a) => Py.Truthy(Py.Equal(Py.Modulo(v, a.Get(0, "num")), 0L)),
        ["eq"] = (_, v, a) => Py.Equal(v, a.Get(0, "other")),
        ["equalto"] = (_, v, a) => Py.Equal(v, a.Get(0, "other")),
        ["=="] = (_, v, a) => Py.Equal(v, a.Get(0, "other")),
        ["escaped"] = (_, v, _) => v is Markup,
        ["even"] = (_, v, _) => Integer(v, "even") % 2 == 0,
        ["false"] = (_, v, _) => v is false,
        ["filter"] = (_, v, _) => v is string s && Filters.Exists(s),
        ["float"] = (_, v, _) => v is double,
        ["ge"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), ">=") >= 0,
        [">="] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), ">=") >= 0,
        ["gt"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), ">") > 0,
        [">"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), ">") > 0,
        ["greaterthan"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), ">") > 0,
        ["in"] = (_, v, a) => Py.Contains(a.Get(0, "seq"), v),
        ["integer"] = (_, v, _) => v is long,
        ["iterable"] = (_, v, _) => Py.IsIterable(v),
        ["le"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), "<=") <= 0,
        ["<="] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), "<=") <= 0,
        ["lower"] = (_, v, _) => IsLower(Py.Str(v)),
        ["lt"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), "<") < 0,
        ["<"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), "<") < 0,
        ["lessthan"] = (_, v, a) => Py.Compare(v, a.Get(0, "other"), "<") < 0,
        ["mapping"] = (_, v, _) => v is PyDict,
        ["ne"] = (_, v, a) => !Py.Equal(v, a.Get(0, "other")),
        ["!="] = (_, v, a) => !Py.Equal(v, a.Get(0, "other")),
        ["none"] = (_, v, _) => v == null,
        ["number"] = (_, v, _) => Py.IsNumber(v),
        ["odd"] = (_, v, _) => Integer(v, "odd") % 2 != 0,
        ["sameas"] = (_, v, a) => SameAs(v, a.Get(0, "other")),
        // Python: anything with len() and __getitem__ (dicts included; Undefined has both too).
        ["sequence"] = (_, v, _) => v is string or Markup or List<object?> or object?[] or PyDict or PyRange or Undefined,
        ["string"] = (_, v, _) => Py.IsString(v),
        ["test"] = (_, v, _) => v is string s && Exists(s),
        ["true"] = (_, v, _) => v is true,
        ["undefined"] = (_, v, _) => v is Undefined,
        ["upper"] = (_, v, _) => IsUpper(Py.Str(v)),
    };

    public static bool Exists(string name) => s_tests.ContainsKey(name);

    public static bool Apply(Interpreter interpreter, string name, object? value, Arguments args)
    {
        if (!s_tests.TryGetValue(name, out Test? test))
            throw new TemplateException($"No test named '{name}'.", TemplateErrorKind.Runtime);
        return test(interpreter, value, args);
    }

    private static long Integer(object? v, string test) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        Undefined u => throw u.Error(),
        double d when d == Math.Floor(d) => (long)d,
        _ => throw new TemplateException($"'{test}' test needs an integer, got {Py.TypeName(v)}", TemplateErrorKind.Type),
    };

    /// <summary>Python's <c>is</c>: identity; small values (None, bools, equal ints and strings) behave as the same object.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => x == y,
        _ => ReferenceEquals(a, b),
    };

    private static bool IsLower(string s) => s.Any(char.IsLower) && !s.Any(char.IsUpper);

    private static bool IsUpper(string s) => s.Any(char.IsUpper) && !s.Any(char.IsLower);
}
