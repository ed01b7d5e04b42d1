using System.Globalization;
using System.Text;

namespace Llambda.Templates;

/// <summary>
/// Python semantics over the value model: truthiness, <c>str()</c>/<c>repr()</c>, equality and ordering,
/// arithmetic, iteration and length. Reference outputs come from CPython, so these must match it exactly.
/// </summary>
internal static class Py
{
    private const int MaxReprDepth = 200;

    // ---- type names (used in error messages, the way Python words them) ----

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        Markup => "Markup",
        List<object?> => "list",
        object?[] => "tuple",
        PyDict => "dict",
        Namespace => "Namespace",
        PyRange => "range",
        PyDictView view => view.Kind,
        Generator => "generator",
        Undefined => "Undefined",
        LoopContext => "LoopContext",
        Macro => "Macro",
        Callable => "builtin_function_or_method",
        _ => v.GetType().Name,
    };

    /// <summary>Jinja2's <c>object_type_repr</c>: "None" for None, else "dict object" and the like.</summary>
    public static string TypeDescription(object? v) => v == null ? "None" : TypeName(v) + " object";

    // ---- truthiness ----

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0.0,
        string s => s.Length != 0,
        Markup m => m.Value.Length != 0,
        List<object?> list => list.Count != 0,
        object?[] tuple => tuple.Length != 0,
        PyDict dict => dict.Count != 0,
        PyRange range => range.Count != 0,
        PyDictView view => view.Items.Count != 0,
        Undefined => false,
        _ => true,
    };

    // ---- strings ----

    /// <summary>A string view of str and Markup (which is a str subclass in Python).</summary>
    public static bool TryString(object? v, out string s)
    {
        switch (v)
        {
            case string str: s = str; return true;
            case Markup m: s = m.Value; return true;
            default: s = ""; return false;
        }
    }

    public static bool IsString(object? v) => v is string or Markup;

    public static bool HasSurrogates(string s)
    {
        foreach (char c in s)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>Python strings index by code point; .NET strings by UTF-16 unit. Split into code points when they differ.</summary>
    public static string[] CodePoints(string s)
    {
        var result = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                result.Add(s[i].ToString());
            }
        }
        return result.ToArray();
    }

    public static int StringLength(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>Python <c>str(v)</c>.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python <c>repr(v)</c> (what lists and dicts use for their items).</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v, int depth)
    {
        if (depth > MaxReprDepth) throw new TemplateException("maximum recursion depth exceeded while getting the repr of an object", TemplateErrorKind.Limit);
        switch (v)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case string s: AppendStringRepr(sb, s); break;
            case Markup m: sb.Append("Markup("); AppendStringRepr(sb, m.Value); sb.Append(')'); break;
            case Undefined: sb.Append("Undefined"); break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i], depth + 1);
                }
                sb.Append(']');
                break;
            case object?[] tuple:
                sb.Append('(');
                for (int i = 0; i < tuple.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, tuple[i], depth + 1);
                }
                if (tuple.Length == 1) sb.Append(',');
                sb.Append(')');
                break;
            case PyDict dict:
                sb.Append('{');
                bool first = true;
                foreach (var kv in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, kv.Key, depth + 1);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes, depth + 1);
                sb.Append('>');
                break;
            case PyRange r:
                sb.Append("range(").Append(r.Start).Append(", ").Append(r.Stop);
                if (r.Step != 1) sb.Append(", ").Append(r.Step);
                sb.Append(')');
                break;
            case Generator g: sb.Append("<generator object ").Append(g.Name).Append('>'); break;
            case PyDictView view:
                sb.Append(view.Kind).Append('(');
                AppendRepr(sb, view.Items, depth + 1);
                sb.Append(')');
                break;
            case LoopContext loop: sb.Append("<LoopContext ").Append(loop.Index0 + 1).Append('/').Append(loop.Length).Append('>'); break;
            case Macro macro: sb.Append("<Macro '").Append(macro.Name).Append("'>"); break;
            case Callable c: sb.Append("<built-in method ").Append(c.Name).Append('>'); break;
            default: sb.Append(v); break;
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\') { sb.Append('\\').Append(c); continue; }
            switch (c)
            {
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
            }
            int cp = c;
            int width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                cp = char.ConvertToUtf32(c, s[i + 1]);
                width = 2;
            }
            if (IsPrintable(cp))
            {
                sb.Append(s, i, width);
            }
            else if (cp < 0x100)
            {
                sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (cp < 0x10000)
            {
                sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
            }
            i += width - 1;
        }
        sb.Append(quote);
    }

    /// <summary>Python's <c>str.isprintable</c> for one code point (what repr leaves unescaped).</summary>
    private static bool IsPrintable(int cp)
    {
        if (cp == ' ') return true;
        if (cp < 0x20 || cp == 0x7f) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        var category = CharUnicodeInfo.GetUnicodeCategory(cp);
        return category switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator => false,
            _ => true,
        };
    }

    /// <summary>Python's float repr: shortest round-trip digits, fixed notation for exponents -4..15, else 1e+16 style.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";

        // "R" gives the shortest round-trip digits; re-layout them the way Python does.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exponent; // the power of ten of the first significant digit
        int ePos = shortest.IndexOfAny(['E', 'e']);
        string mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        int exp = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.');
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        digits = (intPart + fracPart).TrimStart('0');
        int leadingZeros = (intPart + fracPart).Length - digits.Length;
        exponent = intPart.Length - 1 - leadingZeros + exp;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";

        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (exponent >= -4 && exponent < 16)
        {
            if (exponent < 0)
            {
                sb.Append("0.").Append('0', -exponent - 1).Append(digits);
            }
            else if (digits.Length <= exponent + 1)
            {
                sb.Append(digits).Append('0', exponent + 1 - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, exponent + 1).Append('.').Append(digits, exponent + 1, digits.Length - exponent - 1);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    // ---- equality and ordering ----

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    public static bool Equal(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a == null || b == null) return false;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (TryString(a, out string sa)) return TryString(b, out string sb) && sa == sb;
        switch (a)
        {
            case List<object?> la when b is List<object?> lb:
                return SequenceEqual(la, lb);
            case object?[] ta when b is object?[] tb:
                return SequenceEqual(ta, tb);
            case PyDict da when b is PyDict db:
                if (da.Count != db.Count) return false;
                foreach (var kv in da)
                {
                    if (!db.TryGet(kv.Key, out object? other) || !Equal(kv.Value, other)) return false;
                }
                return true;
            case PyRange ra when b is PyRange rb:
                return SequenceEqual(ra.ToList(), rb.ToList());
        }
        return false;
    }

    private static bool SequenceEqual(IList<object?> a, IList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (!Equal(a[i], b[i])) return false;
        }
        return true;
    }

    /// <summary>Python's ordering (<c>&lt;</c> and friends); returns negative, zero or positive.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (TryString(a, out string sa) && TryString(b, out string sb)) return CompareStrings(sa, sb);
        if (a is List<object?> la && b is List<object?> lb) return CompareSequences(la, lb, op);
        if (a is object?[] ta && b is object?[] tb) return CompareSequences(ta, tb, op);
        throw new TemplateException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'", TemplateErrorKind.Type);
    }

    /// <summary>Code point order (UTF-16 ordinal order differs for astral characters).</summary>
    public static int CompareStrings(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] == b[i]) continue;
            if (char.IsSurrogate(a[i]) != char.IsSurrogate(b[i])) return char.IsSurrogate(a[i]) ? 1 : -1;
            return a[i].CompareTo(b[i]);
        }
        return a.Length.CompareTo(b.Length);
    }

    private static int CompareSequences(IList<object?> a, IList<object?> b, string op)
    {
        int n = Math.Min(a.Count, b.Count);
        for (int i = 0; i < n; i++)
        {
            if (!Equal(a[i], b[i])) return Compare(a[i], b[i], op);
        }
        return a.Count.CompareTo(b.Count);
    }

    // ---- containment, iteration, length ----

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string or Markup:
                if (!TryString(item, out string needle))
                    throw new TemplateException($"'in <string>' requires string as left operand, not {TypeName(item)}", TemplateErrorKind.Type);
                return Str(container).Contains(needle, StringComparison.Ordinal);
            case PyDict dict: return dict.ContainsKey(item);
            case Namespace:
            case null:
            case long or double or bool:
                throw new TemplateException($"argument of type '{TypeName(container)}' is not iterable", TemplateErrorKind.Type);
        }
        foreach (object? x in Iterate(container))
        {
            if (Equal(x, item)) return true;
        }
        return false;
    }

    /// <summary>Python <c>iter(v)</c>: lists, tuples, dict keys, string characters, ranges, generators; Undefined is empty.</summary>
    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> list => list,
        object?[] tuple => tuple,
        PyDict dict => dict.Keys,
        string s => HasSurrogates(s) ? CodePoints(s) : s.Select(c => (object?)c.ToString()),
        Markup m => Iterate(m.Value),
        PyRange r => r,
        Generator g => g.Drain(),
        PyDictView view => view.Items,
        Undefined => [],
        _ => throw new TemplateException($"'{TypeName(v)}' object is not iterable", TemplateErrorKind.Type),
    };

    public static bool IsIterable(object? v) => v is List<object?> or object?[] or PyDict or string or Markup or PyRange or Generator or PyDictView or Undefined;

    /// <summary>Python <c>len(v)</c> (code points for strings).</summary>
    public static long Length(object? v) => v switch
    {
        string s => StringLength(s),
        Markup m => StringLength(m.Value),
        List<object?> list => list.Count,
        object?[] tuple => tuple.Length,
        PyDict dict => dict.Count,
        PyRange r => r.Count,
        PyDictView view => view.Items.Count,
        Undefined => 0,
        _ => throw new TemplateException($"object of type '{TypeName(v)}' has no len()", TemplateErrorKind.Type),
    };

    // ---- arithmetic ----

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    private static bool IsInt(object? v) => v is long or bool;

    private static TemplateException Unsupported(string op, object? a, object? b) =>
        new($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'", TemplateErrorKind.Type);

    private static void FailIfUndefined(object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
    }

    private static TemplateException Overflow() => new("integer overflow", TemplateErrorKind.Limit);

    public static object? Add(object? a, object? b, int maxLength)
    {
        FailIfUndefined(a, b);
        if (IsInt(a) && IsInt(b))
        {
            try { return checked(ToLong(a) + ToLong(b)); }
            catch (OverflowException) { throw Overflow(); }
        }
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) + ToDouble(b);
        if (a is Markup || b is Markup)
        {
            // Markup.__add__/__radd__ escape the plain str side.
            if (TryString(a, out string ma) && TryString(b, out string mb))
            {
                string left = a is Markup ? ma : Filters.Escape(ma);
                string right = b is Markup ? mb : Filters.Escape(mb);
                return new Markup(CheckLength(left.Length + right.Length, maxLength) ? left + right : "");
            }
        }
        if (a is string sa)
        {
            if (b is string sb)
            {
                CheckLength((long)sa.Length + sb.Length, maxLength);
                return string.Concat(sa, sb);
            }
            throw new TemplateException($"can only concatenate str (not \"{TypeName(b)}\") to str", TemplateErrorKind.Type);
        }
        if (a is List<object?> la)
        {
            if (b is List<object?> lb)
            {
                CheckLength((long)la.Count + lb.Count, maxLength);
                var result = new List<object?>(la.Count + lb.Count);
                result.AddRange(la);
                result.AddRange(lb);
                return result;
            }
            throw new TemplateException($"can only concatenate list (not \"{TypeName(b)}\") to list", TemplateErrorKind.Type);
        }
        if (a is object?[] ta && b is object?[] tb)
        {
            CheckLength((long)ta.Length + tb.Length, maxLength);
            return ta.Concat(tb).ToArray();
        }
        throw Unsupported("+", a, b);
    }

    public static object? Subtract(object? a, object? b)
    {
        FailIfUndefined(a, b);
        if (IsInt(a) && IsInt(b))
        {
            try { return checked(ToLong(a) - ToLong(b)); }
            catch (OverflowException) { throw Overflow(); }
        }
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) - ToDouble(b);
        throw Unsupported("-", a, b);
    }

    public static object? Multiply(object? a, object? b, int maxLength)
    {
        FailIfUndefined(a, b);
        if (IsInt(a) && IsInt(b))
        {
            try { return checked(ToLong(a) * ToLong(b)); }
            catch (OverflowException) { throw Overflow(); }
        }
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) * ToDouble(b);
        if (IsInt(a) && !IsInt(b)) (a, b) = (b, a);
        if (IsInt(b))
        {
            long n = Math.Max(0, ToLong(b));
            switch (a)
            {
                case string s:
                    CheckLength(s.Length * n, maxLength);
                    return new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();
                case Markup m:
                    CheckLength(m.Value.Length * n, maxLength);
                    return new Markup(new StringBuilder().Insert(0, m.Value, (int)n).ToString());
                case List<object?> list:
                {
                    CheckLength(list.Count * n, maxLength);
                    var result = new List<object?>((int)(list.Count * n));
                    for (long i = 0; i < n; i++) result.AddRange(list);
                    return result;
                }
                case object?[] tuple:
                {
                    CheckLength(tuple.Length * n, maxLength);
                    var result = new List<object?>();
                    for (long i = 0; i < n; i++) result.AddRange(tuple);
                    return result.ToArray();
                }
            }
        }
        throw Unsupported("*", a, b);
    }

    public static object? Divide(object? a, object? b)
    {
        FailIfUndefined(a, b);
        if (IsNumber(a) && IsNumber(b))
        {
            double divisor = ToDouble(b);
            if (divisor == 0) throw new TemplateException("division by zero", TemplateErrorKind.ZeroDivision);
            return ToDouble(a) / divisor;
        }
        throw Unsupported("/", a, b);
    }

    public static object? FloorDivide(object? a, object? b)
    {
        FailIfUndefined(a, b);
        if (IsInt(a) && IsInt(b))
        {
            long x = ToLong(a), y = ToLong(b);
            if (y == 0) throw new TemplateException("integer division or modulo by zero", TemplateErrorKind.ZeroDivision);
            long q = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
            return q;
        }
        if (IsNumber(a) && IsNumber(b))
        {
            double y = ToDouble(b);
            if (y == 0) throw new TemplateException("float floor division by zero", TemplateErrorKind.ZeroDivision);
            return Math.Floor(ToDouble(a) / y);
        }
        throw Unsupported("//", a, b);
    }

    public static object? Modulo(object? a, object? b)
    {
        FailIfUndefined(a, b);
        if (a is Markup markup)
        {
            // Markup % args escapes the arguments.
            object? escaped = b switch
            {
                string s => Filters.Escape(s),
                object?[] t => t.Select(x => x is string s ? Filters.Escape(s) : x).ToArray(),
                _ => b,
            };
            return new Markup(PercentFormat.Format(markup.Value, escaped));
        }
        if (TryString(a, out string format)) return PercentFormat.Format(format, b);
        if (IsInt(a) && IsInt(b))
        {
            long x = ToLong(a), y = ToLong(b);
            if (y == 0) throw new TemplateException("integer division or modulo by zero", TemplateErrorKind.ZeroDivision);
            long r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            return r;
        }
        if (IsNumber(a) && IsNumber(b))
        {
            double x = ToDouble(a), y = ToDouble(b);
            if (y == 0) throw new TemplateException("float modulo", TemplateErrorKind.ZeroDivision);
            double r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            return r;
        }
        throw Unsupported("%", a, b);
    }

    public static object? Power(object? a, object? b)
    {
        FailIfUndefined(a, b);
        if (IsInt(a) && IsInt(b) && ToLong(b) >= 0)
        {
            long x = ToLong(a), y = ToLong(b), result = 1;
            try
            {
                for (long i = 0; i < y; i++)
                {
                    result = checked(result * x);
                    if (result == 0 || result == 1) break;
                }
            }
            catch (OverflowException) { throw Overflow(); }
            return result;
        }
        if (IsNumber(a) && IsNumber(b)) return Math.Pow(ToDouble(a), ToDouble(b));
        throw Unsupported("** or pow()", a, b);
    }

    public static object? Negate(object? a) => a switch
    {
        Undefined u => throw u.Error(),
        long l => l == long.MinValue ? throw Overflow() : (object)(-l), // (object): keep int/float arms from unifying to double
        bool b => b ? -1L : 0L,
        double d => (object)(-d),
        _ => throw new TemplateException($"bad operand type for unary -: '{TypeName(a)}'", TemplateErrorKind.Type),
    };

    public static object? Plus(object? a) => a switch
    {
        Undefined u => throw u.Error(),
        long or double => a,
        bool b => b ? 1L : 0L,
        _ => throw new TemplateException($"bad operand type for unary +: '{TypeName(a)}'", TemplateErrorKind.Type),
    };

    public static bool CheckLength(long length, int max)
    {
        if (length > max) throw new TemplateException($"result too large: {length} items exceed the limit of {max}", TemplateErrorKind.Limit);
        return true;
    }

    /// <summary>Python's <c>str.isspace</c> for one char (what <c>strip()</c> and <c>split()</c> use).</summary>
    public static bool IsSpace(char c) =>
        c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x1f' or '\x85'
        || (c > 127 && char.IsWhiteSpace(c));
}
