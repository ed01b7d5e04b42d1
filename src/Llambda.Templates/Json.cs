using System.Globalization;
using System.Text;

namespace Llambda.Templates;

/// <summary>
/// Python's <c>json.dumps</c>, which transformers installs as the <c>tojson</c> filter: <c>", "</c>/<c>": "</c>
/// separators, non-ASCII kept (ensure_ascii=False), insertion-ordered keys, optional indent and sort_keys.
/// </summary>
internal sealed class JsonWriter
{
    private const int MaxDepth = 500;

    private readonly StringBuilder _sb = new();
    private readonly bool _ensureAscii;
    private readonly string? _indent;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _sortKeys;
    private readonly int _maxLength;

    private JsonWriter(bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys, int maxLength)
    {
        _ensureAscii = ensureAscii;
        _indent = indent;
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _sortKeys = sortKeys;
        _maxLength = maxLength;
    }

    /// <summary>
    /// <paramref name="indent"/>: null (one line), an integer (that many spaces) or a string.
    /// <paramref name="separators"/>: null or an (item, key) pair.
    /// </summary>
    public static string Dumps(object? value, bool ensureAscii = false, object? indent = null, object? separators = null, bool sortKeys = false, int maxLength = int.MaxValue)
    {
        string? indentText = indent switch
        {
            null or Undefined => null,
            long n => new string(' ', (int)Math.Clamp(n, 0, 1000)),
            bool b => b ? " " : "",
            string s => s,
            _ => throw new TemplateException($"indent must be an int or a string, not {Py.TypeName(indent)}", TemplateErrorKind.Type),
        };
        string itemSeparator = indentText == null ? ", " : ",";
        string keySeparator = ": ";
        if (separators is not (null or Undefined))
        {
            var pair = Py.Iterate(separators).ToList();
            if (pair.Count != 2 || !Py.TryString(pair[0], out itemSeparator) || !Py.TryString(pair[1], out keySeparator))
                throw new TemplateException("separators must be a pair of strings", TemplateErrorKind.Type);
        }
        var writer = new JsonWriter(ensureAscii, indentText, itemSeparator, keySeparator, sortKeys, maxLength);
        writer.Write(value, 0);
        return writer._sb.ToString();
    }

    private void Write(object? value, int depth)
    {
        if (depth > MaxDepth) throw new TemplateException("maximum recursion depth exceeded while encoding a JSON object", TemplateErrorKind.Limit);
        Py.CheckLength(_sb.Length, _maxLength);
        switch (value)
        {
            case null: _sb.Append("null"); break;
            case bool b: _sb.Append(b ? "true" : "false"); break;
            case long l: _sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: _sb.Append(FloatText(d)); break;
            case string s: WriteString(s); break;
            case Markup m: WriteString(m.Value); break;
            case List<object?> list: WriteArray(list, depth); break;
            case object?[] tuple: WriteArray(tuple, depth); break;
            case PyDict dict: WriteObject(dict, depth); break;
            default:
                throw new TemplateException($"Object of type {Py.TypeName(value)} is not JSON serializable", TemplateErrorKind.Type);
        }
    }

    private static string FloatText(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Py.FloatRepr(d);

    private void NewLine(int depth)
    {
        _sb.Append('\n');
        for (int i = 0; i < depth; i++) _sb.Append(_indent);
    }

    private void WriteArray(IReadOnlyList<object?> items, int depth)
    {
        if (items.Count == 0)
        {
            _sb.Append("[]");
            return;
        }
        _sb.Append('[');
        if (_indent != null) NewLine(depth + 1);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                _sb.Append(_itemSeparator);
                if (_indent != null) NewLine(depth + 1);
            }
            Write(items[i], depth + 1);
        }
        if (_indent != null) NewLine(depth);
        _sb.Append(']');
    }

    private void WriteObject(PyDict dict, int depth)
    {
        if (dict.Count == 0)
        {
            _sb.Append("{}");
            return;
        }
        var pairs = dict.Select(kv => (Key: KeyText(kv.Key), kv.Value)).ToList();
        if (_sortKeys) pairs.Sort((a, b) => Py.CompareStrings(a.Key, b.Key));
        _sb.Append('{');
        if (_indent != null) NewLine(depth + 1);
        bool first = true;
        foreach (var (key, value) in pairs)
        {
            if (!first)
            {
                _sb.Append(_itemSeparator);
                if (_indent != null) NewLine(depth + 1);
            }
            first = false;
            WriteString(key);
            _sb.Append(_keySeparator);
            Write(value, depth + 1);
        }
        if (_indent != null) NewLine(depth);
        _sb.Append('}');
    }

    private static string KeyText(object? key) => key switch
    {
        string s => s,
        Markup m => m.Value,
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatText(d),
        _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {Py.TypeName(key)}", TemplateErrorKind.Type),
    };

    private void WriteString(string s)
    {
        _sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': _sb.Append("\\\""); break;
                case '\\': _sb.Append("\\\\"); break;
                case '\n': _sb.Append("\\n"); break;
                case '\r': _sb.Append("\\r"); break;
                case '\t': _sb.Append("\\t"); break;
                case '\b': _sb.Append("\\b"); break;
                case '\f': _sb.Append("\\f"); break;
                default:
                    // ensure_ascii escapes everything outside ' '..'~' (astral characters come out as surrogate pairs, as in Python).
                    if (c < 0x20 || (_ensureAscii && c > 0x7e))
                        _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        _sb.Append(c);
                    break;
            }
        }
        _sb.Append('"');
    }
}
