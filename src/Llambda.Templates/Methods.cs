using System.Globalization;
using System.Text;

namespace Llambda.Templates;

/// <summary>
/// Attribute and item access (Jinja2's sandboxed <c>getattr</c>/<c>getitem</c>) and the Python methods templates call
/// on strings, dicts and lists. Methods that would mutate (append, pop, update...) are refused like the immutable sandbox does.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> s_stringMethods =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "swapcase", "casefold", "replace", "find", "rfind", "index", "rindex", "count", "join",
        "format", "center", "ljust", "rjust", "zfill", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper",
        "istitle", "isnumeric", "isdecimal", "partition", "rpartition", "removeprefix", "removesuffix", "expandtabs",
    ];

    private static readonly HashSet<string> s_dictMethods = ["get", "items", "keys", "values", "copy"];
    private static readonly HashSet<string> s_dictMutators = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> s_listMethods = ["index", "count", "copy"];
    private static readonly HashSet<string> s_listMutators = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"];

    private static Undefined Unsafe(object? obj, string name) =>
        new(name, obj, true, $"access to attribute '{name}' of '{Py.TypeName(obj)}' object is unsafe.", unsafeAccess: true);

    /// <summary><c>obj.name</c>: an attribute (method) first, then an item, else Undefined.</summary>
    public static object? GetAttribute(object? obj, string name)
    {
        if (obj is Undefined undefined) throw undefined.Error();
        if (name.StartsWith("__", StringComparison.Ordinal)) return Unsafe(obj, name);
        switch (obj)
        {
            case PyDict dict:
                if (s_dictMethods.Contains(name)) return new BoundMethod(dict, name);
                if (s_dictMutators.Contains(name)) return Unsafe(dict, name);
                return dict.TryGet(name, out object? value) ? value : Undefined.Attribute(obj, name);
            case string or Markup:
                return s_stringMethods.Contains(name) ? new BoundMethod(obj, name) : Undefined.Attribute(obj, name);
            case List<object?>:
                if (s_listMethods.Contains(name)) return new BoundMethod(obj, name);
                if (s_listMutators.Contains(name)) return Unsafe(obj, name);
                return Undefined.Attribute(obj, name);
            case object?[]:
                return name is "index" or "count" ? new BoundMethod(obj, name) : Undefined.Attribute(obj, name);
            case Namespace ns:
                return ns.Attributes.TryGet(name, out object? attr) ? attr : Undefined.Attribute(obj, name);
            case LoopContext loop:
                return loop.GetAttribute(name);
            case Cycler cycler:
                return cycler.GetAttribute(name);
            case Macro macro when name == "name":
                return macro.Name;
            case long or double or bool when name is "real" or "numerator" && !(obj is double && name == "numerator"):
                return obj is bool b ? (b ? 1L : 0L) : obj;
            case long or double or bool when name == "imag":
                return obj is double ? 0.0 : 0L;
            default:
                return Undefined.Attribute(obj, name);
        }
    }

    /// <summary><c>obj[key]</c>: an item first, then (for string keys) an attribute, else Undefined.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined undefined:
                throw undefined.Error();
            case PyDict dict:
                if (dict.TryGet(key, out object? value)) return value;
                break;
            case List<object?> or object?[] or PyRange:
                if (key is long or bool)
                {
                    var list = (IReadOnlyList<object?>?)(obj as List<object?>) ?? (obj as object?[]);
                    long count = list?.Count ?? ((PyRange)obj).Count;
                    long index = Py.ToLong(key);
                    if (index < 0) index += count;
                    if (index >= 0 && index < count) return list != null ? list[(int)index] : ((PyRange)obj)[index];
                    return Undefined.Attribute(obj, key);
                }
                break;
            case string or Markup:
                if (key is long or bool)
                {
                    string s = Py.Str(obj);
                    long index = Py.ToLong(key);
                    if (!Py.HasSurrogates(s))
                    {
                        if (index < 0) index += s.Length;
                        return index >= 0 && index < s.Length ? s[(int)index].ToString() : Undefined.Attribute(obj, key);
                    }
                    string[] cps = Py.CodePoints(s);
                    if (index < 0) index += cps.Length;
                    return index >= 0 && index < cps.Length ? cps[index] : Undefined.Attribute(obj, key);
                }
                break;
        }
        if (key is string name)
        {
            object? attr = obj is PyDict d && !s_dictMethods.Contains(name) && !s_dictMutators.Contains(name) ? null : GetAttribute(obj, name);
            if (attr != null && attr is not Undefined { IsUnsafe: false }) return attr;
        }
        return Undefined.Attribute(obj, key);
    }

    /// <summary>Python slicing <c>obj[start:stop:step]</c> for lists, tuples, strings and ranges.</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined undefined) throw undefined.Error();
        long? Index(object? v) => v switch
        {
            null => null,
            long l => l,
            bool b => b ? 1 : 0,
            _ => throw new TemplateException("slice indices must be integers or None or have an __index__ method", TemplateErrorKind.Type),
        };
        long stepValue = Index(step) ?? 1;
        if (stepValue == 0) throw new TemplateException("slice step cannot be zero", TemplateErrorKind.Type);

        IReadOnlyList<object?> items;
        switch (obj)
        {
            case List<object?> list: items = list; break;
            case object?[] tuple: items = tuple; break;
            case PyRange range: items = range.ToList(); break;
            case string or Markup:
            {
                string s = Py.Str(obj);
                string[] cps = Py.HasSurrogates(s) ? Py.CodePoints(s) : s.Select(c => c.ToString()).ToArray();
                var sb = new StringBuilder();
                foreach (long i in SliceIndices(cps.Length, Index(start), Index(stop), stepValue)) sb.Append(cps[i]);
                return obj is Markup ? new Markup(sb.ToString()) : sb.ToString();
            }
            default:
                return Undefined.Attribute(obj, "slice");
        }
        var result = new List<object?>();
        foreach (long i in SliceIndices(items.Count, Index(start), Index(stop), stepValue)) result.Add(items[(int)i]);
        return obj is object?[] ? result.ToArray() : result;
    }

    private static IEnumerable<long> SliceIndices(long length, long? start, long? stop, long step)
    {
        long Adjust(long? i, long fallback)
        {
            if (i == null) return fallback;
            long v = i.Value;
            if (v < 0)
            {
                v += length;
                if (v < 0) v = step < 0 ? -1 : 0;
            }
            else if (v >= length)
            {
                v = step < 0 ? length - 1 : length;
            }
            return v;
        }
        long from = Adjust(start, step < 0 ? length - 1 : 0);
        long to = Adjust(stop, step < 0 ? -1 : length);
        for (long i = from; step > 0 ? i < to : i > to; i += step) yield return i;
    }

    // ---------------------------------------------------------------- method calls

    public static object? Call(Interpreter interpreter, object? target, string name, Arguments args)
    {
        switch (target)
        {
            case string s: return StringMethod(interpreter, s, name, args);
            case Markup m:
            {
                // MarkupSafe escapes plain-str arguments of Markup's methods and keeps results safe.
                var escaped = new Arguments(
                    args.Positional.Select(EscapeArgument).ToList(),
                    args.Keywords.Select(kv => new KeyValuePair<string, object?>(kv.Key, EscapeArgument(kv.Value))).ToList());
                return ToMarkup(StringMethod(interpreter, m.Value, name, escaped));
            }
            case PyDict dict: return DictMethod(dict, name, args);
            case List<object?> or object?[]: return ListMethod(interpreter, (IReadOnlyList<object?>)target, name, args);
            default: throw new TemplateException($"'{Py.TypeName(target)}' object has no attribute '{name}'", TemplateErrorKind.Type);
        }
    }

    private static object? EscapeArgument(object? v) => v switch
    {
        string s => Filters.Escape(s),
        List<object?> list => list.Select(EscapeArgument).ToList(),
        object?[] tuple => tuple.Select(EscapeArgument).ToArray(),
        _ => v,
    };

    private static object? ToMarkup(object? v) => v switch
    {
        string s => new Markup(s),
        List<object?> list => list.Select(ToMarkup).ToList(),
        object?[] tuple => tuple.Select(ToMarkup).ToArray(),
        _ => v,
    };

    private static object? DictMethod(PyDict dict, string name, Arguments args)
    {
        switch (name)
        {
            case "get":
                args.Expect("get", 2);
                if (args.Count < 1) throw new TemplateException("get expected at least 1 argument, got 0", TemplateErrorKind.Type);
                return dict.TryGet(args.Positional[0], out object? value) ? value : args.Get(1, "", null);
            case "items":
                return new PyDictView("dict_items", dict.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList());
            case "keys":
                return new PyDictView("dict_keys", dict.Keys.Cast<object?>().ToList());
            case "values":
                return new PyDictView("dict_values", dict.Values.ToList());
            default: // copy
            {
                var copy = new PyDict(dict.Count);
                foreach (var kv in dict) copy.Set(kv.Key, kv.Value);
                return copy;
            }
        }
    }

    private static object? ListMethod(Interpreter interpreter, IReadOnlyList<object?> list, string name, Arguments args)
    {
        switch (name)
        {
            case "index":
                for (int i = 0; i < list.Count; i++)
                {
                    if (Py.Equal(list[i], args.Get(0, "value"))) return (long)i;
                }
                throw new TemplateException($"{Py.Repr(args.Get(0, "value"))} is not in list", TemplateErrorKind.Type);
            case "count":
                return (long)list.Count(x => Py.Equal(x, args.Get(0, "value")));
            default: // copy
                return list.ToList();
        }
    }

    private static string RequireString(object? v, string method)
    {
        if (Py.TryString(v, out string s)) return s;
        throw new TemplateException($"{method}() argument must be str, not {Py.TypeName(v)}", TemplateErrorKind.Type);
    }

    private static object? StringMethod(Interpreter interpreter, string s, string name, Arguments args)
    {
        switch (name)
        {
            case "strip": return Strip(s, args.Get(0, "chars"), true, true);
            case "lstrip": return Strip(s, args.Get(0, "chars"), true, false);
            case "rstrip": return Strip(s, args.Get(0, "chars"), false, true);
            case "split": return Split(s, args.Get(0, "sep"), args.Get(1, "maxsplit", -1L), fromRight: false);
            case "rsplit": return Split(s, args.Get(0, "sep"), args.Get(1, "maxsplit", -1L), fromRight: true);
            case "splitlines": return SplitLines(s, Py.Truthy(args.Get(0, "keepends", false)));
            case "startswith":
            case "endswith":
            {
                object? affix = args.Get(0, name == "startswith" ? "prefix" : "suffix");
                string sub = Substring(s, args.Get(1, "start"), args.Get(2, "end"));
                IEnumerable<object?> options = affix is object?[] tuple ? tuple : [affix];
                foreach (object? option in options)
                {
                    string text = RequireString(option, name);
                    if (name == "startswith" ? sub.StartsWith(text, StringComparison.Ordinal) : sub.EndsWith(text, StringComparison.Ordinal)) return true;
                }
                return false;
            }
            case "upper": return Upper(s);
            case "lower": return Lower(s);
            case "casefold": return s.ToLowerInvariant();
            case "swapcase": return new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
            case "title": return Title(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
            {
                string old = RequireString(args.Get(0, "old"), "replace");
                string replacement = RequireString(args.Get(1, "new"), "replace");
                long count = args.Get(2, "count", -1L) is long c ? c : -1;
                return Replace(s, old, replacement, count, interpreter.MaxLength);
            }
            case "find":
            case "index":
            case "rfind":
            case "rindex":
            {
                string sub = RequireString(args.Get(0, "sub"), name);
                var (from, to) = Range(s, args.Get(1, "start"), args.Get(2, "end"));
                string window = s[from..to];
                int found = name.StartsWith('r') ? window.LastIndexOf(sub, StringComparison.Ordinal) : window.IndexOf(sub, StringComparison.Ordinal);
                if (found < 0)
                {
                    if (name.EndsWith("index", StringComparison.Ordinal)) throw new TemplateException("substring not found", TemplateErrorKind.Type);
                    return -1L;
                }
                return (long)Py.StringLength(s[..(from + found)]);
            }
            case "count":
            {
                string sub = RequireString(args.Get(0, "sub"), name);
                var (from, to) = Range(s, args.Get(1, "start"), args.Get(2, "end"));
                string window = s[from..to];
                if (sub.Length == 0) return (long)Py.StringLength(window) + 1;
                long n = 0;
                for (int i = window.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = window.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            }
            case "join":
            {
                var sb = new StringBuilder();
                bool first = true;
                foreach (object? item in Py.Iterate(args.Get(0, "iterable")))
                {
                    interpreter.Step();
                    if (!first) sb.Append(s);
                    first = false;
                    if (!Py.TryString(item, out string part))
                        throw new TemplateException($"sequence item: expected str instance, {Py.TypeName(item)} found", TemplateErrorKind.Type);
                    sb.Append(part);
                    Py.CheckLength(sb.Length, interpreter.MaxLength);
                }
                return sb.ToString();
            }
            case "format": return StringFormat.Format(s, args);
            case "center":
            case "ljust":
            case "rjust":
            {
                long width = args.Get(0, "width") is long w ? w : throw new TemplateException($"{name}() requires an integer width", TemplateErrorKind.Type);
                string fill = args.Get(1, "fillchar") is string f && f.Length == 1 ? f : " ";
                Py.CheckLength(width, interpreter.MaxLength);
                return Pad(s, (int)width, fill[0], name == "center" ? '^' : name == "ljust" ? '<' : '>');
            }
            case "zfill":
            {
                long width = args.Get(0, "width") is long w ? w : 0;
                Py.CheckLength(width, interpreter.MaxLength);
                int len = Py.StringLength(s);
                if (len >= width) return s;
                int signLength = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
                return s[..signLength] + new string('0', (int)width - len) + s[signLength..];
            }
            case "isdigit":
            case "isnumeric":
            case "isdecimal": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(Py.IsSpace);
            case "islower": return s.Any(char.IsLower) && !s.Any(char.IsUpper);
            case "isupper": return s.Any(char.IsUpper) && !s.Any(char.IsLower);
            case "istitle": return s.Any(char.IsLetter) && Title(s) == s;
            case "partition":
            case "rpartition":
            {
                string sep = RequireString(args.Get(0, "sep"), name);
                if (sep.Length == 0) throw new TemplateException("empty separator", TemplateErrorKind.Type);
                int i = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                if (i < 0) return name == "partition" ? new object?[] { s, "", "" } : new object?[] { "", "", s };
                return new object?[] { s[..i], sep, s[(i + sep.Length)..] };
            }
            case "removeprefix":
            {
                string prefix = RequireString(args.Get(0, "prefix"), name);
                return s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s;
            }
            case "removesuffix":
            {
                string suffix = RequireString(args.Get(0, "suffix"), name);
                return suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
            }
            case "expandtabs": return s.Replace("\t", new string(' ', (int)(args.Get(0, "tabsize", 8L) is long t ? t : 8)));
            default: throw new TemplateException($"'str' object has no attribute '{name}'", TemplateErrorKind.Type);
        }
    }

    // ---------------------------------------------------------------- string helpers (shared with filters)

    // Python's str.upper()/lower() use Unicode's full case mappings (SpecialCasing.txt), .NET's the simple ones.
    // These are the unconditional one-to-many mappings of letters that plausibly occur in chat text.
    private static readonly Dictionary<char, string> s_upperSpecial = new()
    {
        ['ß'] = "SS", ['ŉ'] = "ʼN", ['ǰ'] = "J̌", ['ΐ'] = "Ϊ́", ['ΰ'] = "Ϋ́", ['և'] = "ԵՒ",
        ['ẖ'] = "H̱", ['ẗ'] = "T̈", ['ẘ'] = "W̊", ['ẙ'] = "Y̊", ['ẚ'] = "Aʾ",
        ['ﬀ'] = "FF", ['ﬁ'] = "FI", ['ﬂ'] = "FL", ['ﬃ'] = "FFI", ['ﬄ'] = "FFL", ['ﬅ'] = "ST", ['ﬆ'] = "ST",
        ['ﬓ'] = "ՄՆ", ['ﬔ'] = "ՄԵ", ['ﬕ'] = "ՄԻ", ['ﬖ'] = "ՎՆ", ['ﬗ'] = "ՄԽ",
    };

    public static string Upper(string s)
    {
        string upper = s.ToUpperInvariant();
        if (upper.AsSpan().IndexOfAnyInRange('\u00DF', '\uFB17') < 0) return upper;
        var sb = new StringBuilder(upper.Length + 4);
        foreach (char c in upper) sb.Append(s_upperSpecial.TryGetValue(c, out string? mapped) ? mapped : c);
        return sb.ToString();
    }

    public static string Lower(string s)
    {
        string lower = s.ToLowerInvariant();
        return lower.Contains('İ') ? lower.Replace("İ", "i\u0307") : lower;
    }

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        Func<char, bool> strip;
        if (chars == null || chars is Undefined)
        {
            strip = Py.IsSpace;
        }
        else
        {
            string set = RequireString(chars, "strip");
            strip = c => set.Contains(c);
        }
        int start = 0, end = s.Length;
        if (left)
        {
            while (start < end && strip(s[start])) start++;
        }
        if (right)
        {
            while (end > start && strip(s[end - 1])) end--;
        }
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    public static List<object?> Split(string s, object? separator, object? maxSplitValue, bool fromRight)
    {
        long maxSplit = maxSplitValue is long m ? m : -1;
        var parts = new List<object?>();
        if (separator == null)
        {
            // Whitespace split: runs of whitespace separate, empty strings are dropped.
            if (!fromRight)
            {
                int i = 0;
                while (true)
                {
                    while (i < s.Length && Py.IsSpace(s[i])) i++;
                    if (i >= s.Length) break;
                    if (maxSplit >= 0 && parts.Count == maxSplit)
                    {
                        parts.Add(s[i..]);
                        break;
                    }
                    int start = i;
                    while (i < s.Length && !Py.IsSpace(s[i])) i++;
                    parts.Add(s[start..i]);
                }
            }
            else
            {
                int i = s.Length;
                while (true)
                {
                    while (i > 0 && Py.IsSpace(s[i - 1])) i--;
                    if (i <= 0) break;
                    if (maxSplit >= 0 && parts.Count == maxSplit)
                    {
                        parts.Add(s[..i]);
                        break;
                    }
                    int end = i;
                    while (i > 0 && !Py.IsSpace(s[i - 1])) i--;
                    parts.Add(s[i..end]);
                }
                parts.Reverse();
            }
            return parts;
        }

        string sep = RequireString(separator, "split");
        if (sep.Length == 0) throw new TemplateException("empty separator", TemplateErrorKind.Type);
        if (!fromRight)
        {
            int start = 0;
            while (maxSplit < 0 || parts.Count < maxSplit)
            {
                int found = s.IndexOf(sep, start, StringComparison.Ordinal);
                if (found < 0) break;
                parts.Add(s[start..found]);
                start = found + sep.Length;
            }
            parts.Add(s[start..]);
        }
        else
        {
            int end = s.Length;
            while (maxSplit < 0 || parts.Count < maxSplit)
            {
                int found = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
                if (found < 0 || found + sep.Length > end) break;
                parts.Add(s[(found + sep.Length)..end]);
                end = found;
            }
            parts.Add(s[..end]);
            parts.Reverse();
        }
        return parts;
    }

    private static List<object?> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<object?>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            bool isBreak = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!isBreak)
            {
                i++;
                continue;
            }
            int end = i;
            i += c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
            lines.Add(keepEnds ? s[start..i] : s[start..end]);
            start = i;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    public static string Replace(string s, string old, string replacement, long count, int maxLength)
    {
        if (count == 0) return s;
        if (old.Length == 0)
        {
            // Python inserts the replacement between every character (and at both ends).
            var sb = new StringBuilder();
            string[] cps = Py.CodePoints(s);
            long done = 0;
            for (int i = 0; i <= cps.Length; i++)
            {
                if (count < 0 || done < count)
                {
                    sb.Append(replacement);
                    done++;
                }
                if (i < cps.Length) sb.Append(cps[i]);
                Py.CheckLength(sb.Length, maxLength);
            }
            return sb.ToString();
        }
        if (count < 0)
        {
            int occurrences = 0;
            for (int i = s.IndexOf(old, StringComparison.Ordinal); i >= 0; i = s.IndexOf(old, i + old.Length, StringComparison.Ordinal)) occurrences++;
            Py.CheckLength(s.Length + (long)occurrences * (replacement.Length - old.Length), maxLength);
            return s.Replace(old, replacement, StringComparison.Ordinal);
        }
        var result = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int found = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (found < 0) break;
            result.Append(s, pos, found - pos).Append(replacement);
            pos = found + old.Length;
            Py.CheckLength(result.Length, maxLength);
        }
        result.Append(s, pos, s.Length - pos);
        return result.ToString();
    }

    /// <summary>Python's <c>str.title()</c>: uppercase after any uncased character, lowercase otherwise.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c);
            sb.Append(cased ? (previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            previousCased = cased;
        }
        return sb.ToString();
    }

    public static string Pad(string s, int width, char fill, char align)
    {
        int len = Py.StringLength(s);
        if (len >= width) return s;
        int total = width - len;
        return align switch
        {
            '<' => s + new string(fill, total),
            '>' => new string(fill, total) + s,
            _ => CenterPad(s, width, total, fill),
        };
    }

    /// <summary>CPython's rule for where the odd padding character goes in <c>str.center</c>.</summary>
    private static string CenterPad(string s, int width, int total, char fill)
    {
        int left = total / 2 + (total & width & 1);
        return new string(fill, left) + s + new string(fill, total - left);
    }

    /// <summary>The UTF-16 range of Python-style (code point, possibly negative) start/end arguments.</summary>
    private static (int From, int To) Range(string s, object? start, object? end)
    {
        string[]? cps = Py.HasSurrogates(s) ? Py.CodePoints(s) : null;
        int length = cps?.Length ?? s.Length;
        int Clamp(object? v, int fallback)
        {
            if (v is not long l) return fallback;
            if (l < 0) l += length;
            return (int)Math.Clamp(l, 0, length);
        }
        int from = Clamp(start, 0), to = Math.Max(from, Clamp(end, length));
        if (cps == null) return (from, to);
        int Utf16(int cp) => cps.Take(cp).Sum(x => x.Length);
        return (Utf16(from), Utf16(to));
    }

    private static string Substring(string s, object? start, object? end)
    {
        if (start is not long && end is not long) return s;
        var (from, to) = Range(s, start, end);
        return s[from..to];
    }
}
