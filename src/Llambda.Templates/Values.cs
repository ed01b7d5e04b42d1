using System.Collections;
using System.Text.Json;

namespace Llambda.Templates;

// The value model. Templates see Python values, so we keep plain .NET objects where they map one to one:
//   None -> null, bool -> bool, int -> long, float -> double, str -> string, list -> List<object?>,
//   tuple -> object?[], dict -> PyDict (ordered, like Python 3.7+ dicts).
// The few Jinja/Python types without a .NET twin get a small class below.

/// <summary>Jinja2's default <c>Undefined</c>: prints as empty, is falsy, iterates as empty; most other uses raise.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new(null, null, false, null);

    private readonly object? _owner;
    private readonly bool _hasOwner;

    public Undefined(string? name, object? owner, bool hasOwner, string? hint, bool unsafeAccess = false)
    {
        Name = name;
        _owner = owner;
        _hasOwner = hasOwner;
        Hint = hint;
        IsUnsafe = unsafeAccess;
    }

    public static Undefined Missing(string name) => new(name, null, false, null);

    public static Undefined Attribute(object? owner, object? key) =>
        new(key is string s ? s : Py.Repr(key), owner, true, key is string ? null : "element");

    public static Undefined WithHint(string hint) => new(null, null, false, hint);

    public string? Name { get; }

    public string? Hint { get; }

    /// <summary>The sandbox's "unsafe" undefined (e.g. <c>list.append</c>): using it is a security error.</summary>
    public bool IsUnsafe { get; }

    /// <summary>The message Jinja2 gives when this undefined is used.</summary>
    public string Message
    {
        get
        {
            if (Hint != null && Hint != "element") return Hint;
            if (!_hasOwner) return Name == null ? "value is undefined" : $"'{Name}' is undefined";
            if (Hint == "element") return $"{Py.TypeDescription(_owner)} has no element {Name}";
            return $"'{Py.TypeDescription(_owner)}' has no attribute '{Name}'";
        }
    }

    public TemplateException Error() =>
        new(Message, IsUnsafe ? TemplateErrorKind.Security : TemplateErrorKind.Undefined);
}

/// <summary>MarkupSafe's <c>Markup</c>: a string marked safe. Without autoescape it matters in one place: <c>Markup + str</c> escapes the str.</summary>
internal sealed class Markup(string value)
{
    public string Value { get; } = value;

    public override string ToString() => Value;
}

/// <summary>Python's <c>dict</c>: insertion ordered, keys compared with Python equality (1 == 1.0 == True).</summary>
internal sealed class PyDict : IEnumerable<KeyValuePair<object, object?>>
{
    private readonly OrderedDictionary<object, object?> _items;

    public PyDict() => _items = new OrderedDictionary<object, object?>(PyKeyComparer.Instance);

    public PyDict(int capacity) => _items = new OrderedDictionary<object, object?>(capacity, PyKeyComparer.Instance);

    public int Count => _items.Count;

    public IEnumerable<object> Keys => _items.Keys.Select(FromKey);

    public IEnumerable<object?> Values => _items.Values;

    public void Set(object? key, object? value) => _items[ToKey(key)] = value;

    public bool TryGet(object? key, out object? value)
    {
        if (key is List<object?> or PyDict) throw new TemplateException($"unhashable type: '{Py.TypeName(key)}'", TemplateErrorKind.Type);
        return _items.TryGetValue(ToKey(key), out value);
    }

    public bool ContainsKey(object? key) => TryGet(key, out _);

    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        foreach (var pair in _items) yield return new KeyValuePair<object, object?>(FromKey(pair.Key)!, pair.Value);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // OrderedDictionary keys cannot be null, but Python dicts may have None as a key.
    private static readonly object s_noneKey = new();

    private static object ToKey(object? key) => key ?? s_noneKey;

    private static object FromKey(object key) => ReferenceEquals(key, s_noneKey) ? null! : key;
}

/// <summary>Hashing and equality of dict keys with Python's rules for the hashable types templates use.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => Py.Equal(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        string s => s.GetHashCode(),
        Markup m => m.Value.GetHashCode(),
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        object?[] t => t.Aggregate(17, (h, v) => h * 31 + (v == null ? 0 : GetHashCode(v))),
        _ => obj.GetHashCode(),
    };
}

/// <summary>
/// <c>dict.items()</c>/<c>keys()</c>/<c>values()</c>: iterable (repeatedly) with a length, but neither indexable nor
/// JSON serializable, exactly like Python's views (so <c>x.items() | tojson</c> fails as in Jinja2).
/// </summary>
internal sealed class PyDictView(string kind, List<object?> items)
{
    public string Kind { get; } = kind;

    public List<object?> Items { get; } = items;
}

/// <summary>Jinja2's <c>namespace()</c>: the one object a sandboxed template may assign attributes on.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>Python's lazy <c>range</c>, so <c>range(10**9)</c> costs nothing until iterated.</summary>
internal sealed class PyRange(long start, long stop, long step) : IEnumerable<object?>
{
    public long Start { get; } = start;
    public long Stop { get; } = stop;
    public long Step { get; } = step;

    public long Count => Step > 0
        ? (Stop > Start ? (Stop - Start - 1) / Step + 1 : 0)
        : (Start > Stop ? (Start - Stop - 1) / -Step + 1 : 0);

    public long this[long index] => Start + index * Step;

    public IEnumerator<object?> GetEnumerator()
    {
        long n = Count;
        for (long i = 0; i < n; i++) yield return Start + i * Step;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A Python generator (what <c>map</c>, <c>select</c>, <c>selectattr</c>... return): iterable once, always truthy,
/// no length, and not JSON serializable — some reference outputs are errors precisely because of that.
/// </summary>
internal sealed class Generator(IEnumerable<object?> source, string name)
{
    private IEnumerator<object?>? _enumerator = source.GetEnumerator();

    public string Name { get; } = name;

    public IEnumerable<object?> Drain()
    {
        var e = _enumerator;
        if (e == null) yield break;
        while (e.MoveNext()) yield return e.Current;
        _enumerator = null;
    }
}

/// <summary>Anything a template can call: macros, globals, bound methods of values.</summary>
internal abstract class Callable
{
    public abstract string Name { get; }

    public abstract object? Invoke(Interpreter interpreter, Arguments args);
}

/// <summary>A global function implemented in C# (range, namespace, raise_exception...).</summary>
internal sealed class BuiltinFunction(string name, Func<Interpreter, Arguments, object?> body) : Callable
{
    public override string Name { get; } = name;

    public override object? Invoke(Interpreter interpreter, Arguments args) => body(interpreter, args);
}

/// <summary><c>value.method</c> looked up but not yet called, e.g. <c>message.content.strip</c>.</summary>
internal sealed class BoundMethod(object? target, string name) : Callable
{
    public object? Target { get; } = target;

    public override string Name { get; } = name;

    public override object? Invoke(Interpreter interpreter, Arguments args) => Methods.Call(interpreter, Target, Name, args);
}

/// <summary>Positional and keyword arguments of a call, with the checks Python would do.</summary>
internal sealed class Arguments
{
    public static readonly Arguments Empty = new([], []);

    public Arguments(List<object?> positional, List<KeyValuePair<string, object?>> keywords)
    {
        Positional = positional;
        Keywords = keywords;
    }

    public List<object?> Positional { get; }

    public List<KeyValuePair<string, object?>> Keywords { get; }

    public int Count => Positional.Count;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var kv in Keywords)
        {
            if (kv.Key == name) return kv.Value;
        }
        return fallback;
    }

    public bool Has(int index, string name)
    {
        if (index >= 0 && index < Positional.Count) return true;
        foreach (var kv in Keywords)
        {
            if (kv.Key == name) return true;
        }
        return false;
    }

    /// <summary>Fails like Python when more arguments were passed than <paramref name="function"/> takes.</summary>
    public Arguments Expect(string function, int maxPositional, params string[] keywordNames)
    {
        if (Positional.Count > maxPositional)
            throw new TemplateException($"{function}() takes at most {maxPositional} positional argument(s) ({Positional.Count} given)", TemplateErrorKind.Type);
        foreach (var kv in Keywords)
        {
            if (Array.IndexOf(keywordNames, kv.Key) < 0)
                throw new TemplateException($"{function}() got an unexpected keyword argument '{kv.Key}'", TemplateErrorKind.Type);
        }
        return this;
    }
}

/// <summary>Turns caller-supplied .NET values (including System.Text.Json elements) into the value model.</summary>
internal static class ValueConverter
{
    public static object? FromClr(object? value, int depth = 0)
    {
        if (depth > 256) throw new TemplateException("variables nest too deeply", TemplateErrorKind.Limit);
        switch (value)
        {
            case null: return null;
            case string or bool or long or double: return value;
            case int i: return (long)i;
            case short s: return (long)s;
            case byte b: return (long)b;
            case sbyte sb: return (long)sb;
            case uint ui: return (long)ui;
            case ushort us: return (long)us;
            case ulong ul: return ul <= long.MaxValue ? (long)ul : (double)ul;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case char c: return c.ToString();
            case JsonElement e: return FromJson(e, depth);
            case Markup or PyDict or Namespace or Undefined: return value;
            case IReadOnlyDictionary<string, object?> rd:
            {
                var dict = new PyDict(rd.Count);
                foreach (var kv in rd) dict.Set(kv.Key, FromClr(kv.Value, depth + 1));
                return dict;
            }
            case IDictionary d:
            {
                var dict = new PyDict(d.Count);
                foreach (DictionaryEntry kv in d) dict.Set(FromClr(kv.Key, depth + 1), FromClr(kv.Value, depth + 1));
                return dict;
            }
            case IEnumerable items:
            {
                var list = new List<object?>();
                foreach (object? item in items) list.Add(FromClr(item, depth + 1));
                return list;
            }
            default:
                // No reflection over arbitrary objects: the sandbox only ever sees plain data.
                throw new TemplateException($"unsupported variable type {value.GetType().Name}", TemplateErrorKind.Type);
        }
    }

    private static object? FromJson(JsonElement e, int depth)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined: return null;
            case JsonValueKind.Number:
                // Python's json keeps integers integral: "3" is int, "3.0" and "3e2" are float.
                string raw = e.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && e.TryGetInt64(out long l)) return l;
                return e.GetDouble();
            case JsonValueKind.Array:
            {
                var list = new List<object?>(e.GetArrayLength());
                foreach (var item in e.EnumerateArray()) list.Add(FromClr(item, depth + 1));
                return list;
            }
            default:
            {
                var dict = new PyDict();
                foreach (var p in e.EnumerateObject()) dict.Set(p.Name, FromClr(p.Value, depth + 1));
                return dict;
            }
        }
    }
}
