using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Llambda.Templates;

/// <summary>
/// Jinja2's built-in filters (<c>value | name(args)</c>) with Jinja2 3.1 semantics, plus transformers' <c>tojson</c>
/// (plain <c>json.dumps</c>, unlike Jinja2's HTML-safe one). Filters that Jinja2 implements as generators
/// (map, select, reject, selectattr, rejectattr, unique, batch, items, reverse) return <see cref="Generator"/>s too,
/// because it is visible: <c>x | map(...) | tojson</c> fails in Jinja2 and must fail here.
/// </summary>
internal static class Filters
{
    private delegate object? Filter(Interpreter interpreter, object? value, Arguments args);

    private static readonly Dictionary<string, Filter> s_filters = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = (_, v, a) => Methods.GetAttribute(v, Py.Str(a.Get(0, "name"))),
        ["batch"] = Batch,
        ["capitalize"] = (_, v, _) => Capitalize(Py.Str(v)),
        ["center"] = (i, v, a) => Methods.Pad(Py.Str(v), (int)Math.Min(AsLong(a.Get(0, "width", 80L)), i.MaxLength), ' ', '^'),
        ["count"] = (_, v, _) => Py.Length(v),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = (_, v, _) => v is Markup ? v : new Markup(Escape(Py.Str(v))),
        ["escape"] = (_, v, _) => v is Markup ? v : new Markup(Escape(Py.Str(v))),
        ["first"] = First,
        ["float"] = ToFloat,
        ["forceescape"] = (_, v, _) => new Markup(Escape(Py.Str(v))),
        ["format"] = Format,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = Items,
        ["join"] = Join,
        ["last"] = Last,
        ["length"] = (_, v, _) => Py.Length(v),
        ["list"] = (i, v, _) => new List<object?>(i.Sequence(v)),
        ["lower"] = (_, v, _) => Methods.Lower(Py.Str(v)),
        ["map"] = Map,
        ["max"] = (i, v, a) => MinMax(i, v, a, max: true),
        ["min"] = (i, v, a) => MinMax(i, v, a, max: false),
        ["reject"] = (i, v, a) => Select(i, v, a, expect: false, byAttribute: false),
        ["rejectattr"] = (i, v, a) => Select(i, v, a, expect: false, byAttribute: true),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (_, v, _) => v is Markup ? v : new Markup(Py.Str(v)),
        ["select"] = (i, v, a) => Select(i, v, a, expect: true, byAttribute: false),
        ["selectattr"] = (i, v, a) => Select(i, v, a, expect: true, byAttribute: true),
        ["sort"] = Sort,
        ["string"] = (_, v, _) => v is Markup ? v : Py.Str(v),
        ["striptags"] = StripTags,
        ["sum"] = Sum,
        ["title"] = (_, v, _) => Title(Py.Str(v)),
        ["tojson"] = ToJson,
        ["trim"] = (_, v, a) => Methods.Strip(Py.Str(v), a.Get(0, "chars"), true, true),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["upper"] = (_, v, _) => Methods.Upper(Py.Str(v)),
        ["wordcount"] = (_, v, _) => (long)Regex.Matches(Py.Str(v), @"\w+").Count,
    };

    public static bool Exists(string name) => s_filters.ContainsKey(name);

    public static object? Apply(Interpreter interpreter, string name, object? value, Arguments args)
    {
        if (!s_filters.TryGetValue(name, out Filter? filter))
            throw new TemplateException($"No filter named '{name}'.", TemplateErrorKind.Runtime);
        return filter(interpreter, value, args);
    }

    // ---------------------------------------------------------------- helpers

    private static long AsLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateException($"an integer is required, not {Py.TypeName(v)}", TemplateErrorKind.Type),
    };

    /// <summary>MarkupSafe's escape.</summary>
    public static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny("&<>\"'") < 0) return s;
        var sb = new StringBuilder(s.Length + 16);
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>Jinja2's <c>make_attrgetter</c>: "a.b.0" walks items/attributes; integer parts index.</summary>
    public static Func<object?, object?> AttributeGetter(object? attribute, object? fallback = null, bool hasFallback = false)
    {
        var parts = attribute is string s
            ? s.Split('.').Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? (object)n : p).ToArray()
            : new object[] { attribute! };
        return item =>
        {
            foreach (object? part in parts)
            {
                item = Methods.GetItem(item, part);
                if (hasFallback && item is Undefined) return fallback;
            }
            return item;
        };
    }

    /// <summary>Sort/compare key: lower-cased strings unless case sensitive (Jinja2's <c>ignore_case</c>).</summary>
    private static object? CaseKey(object? v, bool caseSensitive) =>
        !caseSensitive && Py.TryString(v, out string s) ? s.ToLowerInvariant() : v;

    private static IEnumerable<object?> Counted(Interpreter interpreter, IEnumerable<object?> items)
    {
        foreach (object? item in items)
        {
            interpreter.Step();
            yield return item;
        }
    }

    // ---------------------------------------------------------------- filters

    private static object? Abs(Interpreter _, object? v, Arguments a) => v switch
    {
        long l => l == long.MinValue ? throw new TemplateException("integer overflow", TemplateErrorKind.Limit) : (object)Math.Abs(l),
        double d => (object)Math.Abs(d),
        bool b => b ? 1L : 0L,
        _ => throw new TemplateException($"bad operand type for abs(): '{Py.TypeName(v)}'", TemplateErrorKind.Type),
    };

    private static object? Batch(Interpreter interpreter, object? v, Arguments a)
    {
        long size = AsLong(a.Get(0, "linecount"));
        if (size <= 0) throw new TemplateException("batch size must be positive", TemplateErrorKind.Type);
        bool fill = a.Has(1, "fill_with");
        object? fillWith = a.Get(1, "fill_with");
        IEnumerable<object?> Run()
        {
            var current = new List<object?>();
            foreach (object? item in Counted(interpreter, Py.Iterate(v)))
            {
                current.Add(item);
                if (current.Count == size)
                {
                    yield return current;
                    current = [];
                }
            }
            if (current.Count > 0)
            {
                if (fill)
                {
                    while (current.Count < size) current.Add(fillWith);
                }
                yield return current;
            }
        }
        return new Generator(Run(), "do_batch");
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static object? Default(Interpreter _, object? v, Arguments a)
    {
        object? fallback = a.Get(0, "default_value", "");
        bool boolean = Py.Truthy(a.Get(1, "boolean", false));
        if (v is Undefined || (boolean && !Py.Truthy(v))) return fallback;
        return v;
    }

    private static object? DictSort(Interpreter _, object? v, Arguments a)
    {
        if (v is Undefined u) throw u.Error(); // Jinja2 calls value.items()
        if (v is not PyDict dict) throw new TemplateException("You can only sort by either \"key\" or \"value\"", TemplateErrorKind.Type);
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        string by = Py.Str(a.Get(1, "by", "key"));
        bool reverse = Py.Truthy(a.Get(2, "reverse", false));
        int pos = by switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateException("You can only sort by either \"key\" or \"value\"", TemplateErrorKind.Type),
        };
        var items = dict.Select(kv => new object?[] { kv.Key, kv.Value }).ToList();
        var sorted = StableSort(items, x => CaseKey(x[pos], caseSensitive), reverse);
        return sorted.Select(x => (object?)x).ToList();
    }

    /// <summary>Python's sorted(): stable, and reverse keeps equal items in their original order.</summary>
    private static List<T> StableSort<T>(List<T> items, Func<T, object?> key, bool reverse)
    {
        var keyed = items.Select((item, index) => (Item: item, Key: key(item), Index: index)).ToList();
        keyed.Sort((x, y) =>
        {
            int c = Py.Compare(x.Key, y.Key, "<");
            if (reverse) c = -c;
            return c != 0 ? c : x.Index.CompareTo(y.Index);
        });
        return keyed.Select(x => x.Item).ToList();
    }

    private static object? First(Interpreter _, object? v, Arguments a)
    {
        foreach (object? item in Py.Iterate(v)) return item;
        return Undefined.WithHint("No first item, sequence was empty.");
    }

    private static object? Last(Interpreter interpreter, object? v, Arguments a)
    {
        if (v is Generator) throw new TemplateException("'generator' object is not reversible", TemplateErrorKind.Type);
        var items = interpreter.Sequence(v);
        return items.Count > 0 ? items[^1] : Undefined.WithHint("No last item, sequence was empty.");
    }

    private static object? ToFloat(Interpreter _, object? v, Arguments a)
    {
        object? fallback = a.Get(0, "default", 0.0);
        switch (v)
        {
            case Undefined u: throw u.Error(); // float(Undefined) raises
            case double d: return d;
            case long l: return (double)l;
            case bool b: return b ? 1.0 : 0.0;
            case string or Markup:
                return double.TryParse(Py.Str(v).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed : fallback;
            default: return fallback;
        }
    }

    private static object? ToInt(Interpreter _, object? v, Arguments a)
    {
        object? fallback = a.Get(0, "default", 0L);
        long numberBase = AsLong(a.Get(1, "base", 10L));
        switch (v)
        {
            case Undefined u: throw u.Error(); // int(Undefined) raises
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string or Markup:
            {
                string s = Py.Str(v).Trim().Replace("_", "");
                try
                {
                    if (numberBase == 10 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)) return parsed;
                    if (numberBase != 10) return Convert.ToInt64(s, (int)numberBase);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
                {
                    return fallback;
                }
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            }
            default: return fallback;
        }
    }

    private static object? Format(Interpreter _, object? v, Arguments a)
    {
        if (a.Count > 0 && a.Keywords.Count > 0) throw new TemplateException("can't handle positional and keyword arguments at the same time", TemplateErrorKind.Type);
        object? values;
        if (a.Keywords.Count > 0)
        {
            var dict = new PyDict();
            foreach (var kv in a.Keywords) dict.Set(kv.Key, kv.Value);
            values = dict;
        }
        else
        {
            values = a.Positional.ToArray();
        }
        return PercentFormat.Format(Py.Str(v), values);
    }

    private static object? Indent(Interpreter interpreter, object? v, Arguments a)
    {
        if (v is Undefined u) throw u.Error(); // Jinja2 appends "\n" to the value, which Undefined refuses
        object? width = a.Get(0, "width", 4L);
        string indentation = width is string ws ? ws : new string(' ', (int)Math.Clamp(AsLong(width), 0, interpreter.MaxLength));
        bool first = Py.Truthy(a.Get(1, "first", false));
        bool blank = Py.Truthy(a.Get(2, "blank", false));
        string s = Py.Str(v) + "\n"; // Jinja2 appends a newline so splitlines keeps a trailing empty line
        var lines = s.Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        var sb = new StringBuilder();
        if (blank)
        {
            sb.AppendJoin("\n" + indentation, lines);
        }
        else
        {
            sb.Append(lines[0]);
            for (int i = 1; i < lines.Count; i++)
            {
                sb.Append('\n');
                if (lines[i].Length > 0) sb.Append(indentation);
                sb.Append(lines[i]);
                Py.CheckLength(sb.Length, interpreter.MaxLength);
            }
        }
        string result = first ? indentation + sb : sb.ToString();
        return v is Markup ? new Markup(result) : result;
    }

    private static object? Items(Interpreter _, object? v, Arguments a) => v switch
    {
        Undefined => new Generator([], "do_items"),
        PyDict dict => new Generator(dict.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(), "do_items"),
        _ => throw new TemplateException("Can only get item pairs from a mapping.", TemplateErrorKind.Type),
    };

    private static object? Join(Interpreter interpreter, object? v, Arguments a)
    {
        string separator = Py.Str(a.Get(0, "d", ""));
        object? attribute = a.Get(1, "attribute");
        var getter = attribute != null ? AttributeGetter(attribute) : null;
        var sb = new StringBuilder();
        bool first = true;
        foreach (object? item in Counted(interpreter, Py.Iterate(v)))
        {
            if (!first) sb.Append(separator);
            first = false;
            sb.Append(Py.Str(getter != null ? getter(item) : item));
            Py.CheckLength(sb.Length, interpreter.MaxLength);
        }
        return sb.ToString();
    }

    private static object? Map(Interpreter interpreter, object? v, Arguments a)
    {
        Func<object?, object?> func;
        if (a.Count == 0 && a.Has(-1, "attribute"))
        {
            bool hasDefault = a.Has(-1, "default");
            func = AttributeGetter(a.Get(-1, "attribute"), a.Get(-1, "default"), hasDefault);
        }
        else
        {
            if (a.Count == 0) throw new TemplateException("map requires a filter argument", TemplateErrorKind.Runtime);
            string name = Py.Str(a.Positional[0]);
            var rest = new Arguments(a.Positional.Skip(1).ToList(), a.Keywords);
            func = item => Apply(interpreter, name, item, rest);
        }
        IEnumerable<object?> Run()
        {
            if (!Py.Truthy(v)) yield break;
            foreach (object? item in Counted(interpreter, Py.Iterate(v))) yield return func(item);
        }
        return new Generator(Run(), "sync_do_map");
    }

    private static object? MinMax(Interpreter interpreter, object? v, Arguments a, bool max)
    {
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        object? attribute = a.Get(1, "attribute");
        var getter = attribute != null ? AttributeGetter(attribute) : (x => x);
        object? best = null;
        bool any = false;
        foreach (object? item in Counted(interpreter, Py.Iterate(v)))
        {
            if (!any)
            {
                best = item;
                any = true;
                continue;
            }
            int c = Py.Compare(CaseKey(getter(item), caseSensitive), CaseKey(getter(best), caseSensitive), max ? ">" : "<");
            if (max ? c > 0 : c < 0) best = item;
        }
        return any ? best : Undefined.WithHint("No aggregated item, sequence was empty.");
    }

    private static object? Select(Interpreter interpreter, object? v, Arguments a, bool expect, bool byAttribute)
    {
        int offset = 0;
        Func<object?, object?> getter = x => x;
        if (byAttribute)
        {
            // Like Jinja2, a missing attribute name only fails once the generator is consumed.
            if (a.Count == 0) return new Generator(MissingAttribute(), "select_or_reject");
            getter = AttributeGetter(a.Positional[0]);
            offset = 1;
        }
        Func<object?, bool> test;
        if (a.Count > offset)
        {
            string name = Py.Str(a.Positional[offset]);
            var rest = new Arguments(a.Positional.Skip(offset + 1).ToList(), a.Keywords);
            test = x => Tests.Apply(interpreter, name, x, rest);
        }
        else
        {
            test = Py.Truthy;
        }
        IEnumerable<object?> Run()
        {
            if (!Py.Truthy(v)) yield break;
            foreach (object? item in Counted(interpreter, Py.Iterate(v)))
            {
                if (test(getter(item)) == expect) yield return item;
            }
        }
        return new Generator(Run(), byAttribute ? "select_or_reject" : "select_or_reject");
    }

    private static IEnumerable<object?> MissingAttribute()
    {
        throw new TemplateException("Missing parameter for attribute name", TemplateErrorKind.Runtime);
#pragma warning disable CS0162 // an iterator needs a yield to be lazy
        yield break;
#pragma warning restore CS0162
    }

    private static object? Replace(Interpreter interpreter, object? v, Arguments a)
    {
        string old = Py.Str(a.Get(0, "old"));
        string replacement = Py.Str(a.Get(1, "new"));
        long count = a.Get(2, "count") is long c ? c : -1;
        string result = Methods.Replace(Py.Str(v), old, replacement, count, interpreter.MaxLength);
        return v is Markup ? new Markup(result) : result;
    }

    private static object? Reverse(Interpreter interpreter, object? v, Arguments a)
    {
        if (Py.TryString(v, out string s)) return Methods.Slice(v, null, null, -1L) ?? s;
        if (v is Generator) throw new TemplateException("'generator' object is not reversible", TemplateErrorKind.Type);
        var items = interpreter.Sequence(v).ToList();
        items.Reverse();
        return new Generator(items, "reversed");
    }

    private static object? Round(Interpreter _, object? v, Arguments a)
    {
        long precision = AsLong(a.Get(0, "precision", 0L));
        string method = Py.Str(a.Get(1, "method", "common"));
        if (!Py.IsNumber(v)) throw new TemplateException($"type {Py.TypeName(v)} doesn't define __round__ method", TemplateErrorKind.Type);
        if (method == "common" && v is long or bool) return Py.ToLong(v);
        double d = Py.ToDouble(v);
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => precision >= 0 && precision <= 15 ? Math.Round(d, (int)precision, MidpointRounding.ToEven) : Math.Round(d * scale, MidpointRounding.ToEven) / scale,
            "ceil" => Math.Ceiling(d * scale) / scale,
            "floor" => Math.Floor(d * scale) / scale,
            _ => throw new TemplateException("method must be common, ceil or floor", TemplateErrorKind.Type),
        };
    }

    private static object? Sort(Interpreter interpreter, object? v, Arguments a)
    {
        bool reverse = Py.Truthy(a.Get(0, "reverse", false));
        bool caseSensitive = Py.Truthy(a.Get(1, "case_sensitive", false));
        object? attribute = a.Get(2, "attribute");
        var getter = attribute != null ? AttributeGetter(attribute) : (x => x);
        var items = interpreter.Sequence(v).ToList();
        return StableSort(items, x => CaseKey(getter(x), caseSensitive), reverse);
    }

    private static object? StripTags(Interpreter _, object? v, Arguments a)
    {
        string s = Regex.Replace(Py.Str(v), @"<!--.*?-->|<[^>]*>", "", RegexOptions.Singleline);
        s = string.Join(" ", s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return System.Net.WebUtility.HtmlDecode(s);
    }

    private static object? Sum(Interpreter interpreter, object? v, Arguments a)
    {
        object? attribute = a.Get(0, "attribute");
        object? total = a.Get(1, "start", 0L);
        var getter = attribute != null ? AttributeGetter(attribute) : (x => x);
        foreach (object? item in Counted(interpreter, Py.Iterate(v))) total = Py.Add(total, getter(item), interpreter.MaxLength);
        return total;
    }

    /// <summary>Jinja2's own <c>title</c> (not str.title): capitalizes after spaces, dashes and opening brackets.</summary>
    private static string Title(string s)
    {
        var parts = Regex.Split(s, @"([-\s({\[<]+)");
        var sb = new StringBuilder(s.Length);
        foreach (string part in parts)
        {
            if (part.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(part[0])).Append(part[1..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    private static object? ToJson(Interpreter interpreter, object? v, Arguments a)
    {
        a.Expect("tojson", 4, "ensure_ascii", "indent", "separators", "sort_keys");
        return JsonWriter.Dumps(
            v,
            ensureAscii: Py.Truthy(a.Get(0, "ensure_ascii", false)),
            indent: a.Get(1, "indent"),
            separators: a.Get(2, "separators"),
            sortKeys: Py.Truthy(a.Get(3, "sort_keys", false)),
            maxLength: interpreter.MaxLength);
    }

    private static object? Truncate(Interpreter _, object? v, Arguments a)
    {
        string s = Py.Str(v);
        long length = AsLong(a.Get(0, "length", 255L));
        bool killWords = Py.Truthy(a.Get(1, "killwords", false));
        string end = Py.Str(a.Get(2, "end", "..."));
        long leeway = a.Get(3, "leeway") is long l ? l : 5;
        if (length < end.Length) throw new TemplateException($"expected length >= {end.Length}, got {length}", TemplateErrorKind.Runtime);
        string[] cps = Py.CodePoints(s);
        if (cps.Length <= length + leeway) return s;
        string head = string.Concat(cps.Take((int)(length - end.Length)));
        if (killWords) return head + end;
        int space = head.LastIndexOf(' ');
        return (space >= 0 ? head[..space] : head) + end;
    }

    private static object? Unique(Interpreter interpreter, object? v, Arguments a)
    {
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        object? attribute = a.Get(1, "attribute");
        var getter = attribute != null ? AttributeGetter(attribute) : (x => x);
        IEnumerable<object?> Run()
        {
            var seen = new List<object?>();
            foreach (object? item in Counted(interpreter, Py.Iterate(v)))
            {
                object? key = CaseKey(getter(item), caseSensitive);
                if (seen.Any(s => Py.Equal(s, key))) continue;
                seen.Add(key);
                yield return item;
            }
        }
        return new Generator(Run(), "do_unique");
    }
}
