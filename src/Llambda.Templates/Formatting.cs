using System.Globalization;
using System.Numerics;
using System.Text;

namespace Llambda.Templates;

/// <summary>Python's <c>str.format</c> (a practical subset of the format-spec mini-language).</summary>
internal static class StringFormat
{
    public static string Format(string format, Arguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}') i++;
                else throw new TemplateException("Single '}' encountered in format string", TemplateErrorKind.Type);
                sb.Append('}');
                continue;
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            if (i + 1 < format.Length && format[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }
            int close = format.IndexOf('}', i + 1);
            if (close < 0) throw new TemplateException("Single '{' encountered in format string", TemplateErrorKind.Type);
            string field = format[(i + 1)..close];
            i = close;

            string spec = "";
            int colon = field.IndexOf(':');
            if (colon >= 0)
            {
                spec = field[(colon + 1)..];
                field = field[..colon];
            }
            char conversion = '\0';
            int bang = field.IndexOf('!');
            if (bang >= 0)
            {
                conversion = bang + 1 < field.Length ? field[bang + 1] : '\0';
                field = field[..bang];
            }

            // field: "" | digits | name, followed by .attr or [key] parts
            int end = 0;
            while (end < field.Length && field[end] != '.' && field[end] != '[') end++;
            string head = field[..end];
            object? value;
            if (head.Length == 0) value = Positional(args, auto++);
            else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) value = Positional(args, n);
            else if (args.Keywords.FirstOrDefault(kv => kv.Key == head) is { Key: not null } kw) value = kw.Value;
            else throw new TemplateException($"KeyError: '{head}'", TemplateErrorKind.Type);

            string rest = field[end..];
            while (rest.Length > 0)
            {
                if (rest[0] == '.')
                {
                    int stop = 1;
                    while (stop < rest.Length && rest[stop] != '.' && rest[stop] != '[') stop++;
                    value = Methods.GetAttribute(value, rest[1..stop]);
                    rest = rest[stop..];
                }
                else
                {
                    int stop = rest.IndexOf(']');
                    if (stop < 0) throw new TemplateException("Missing ']' in format string", TemplateErrorKind.Type);
                    string key = rest[1..stop];
                    value = Methods.GetItem(value, long.TryParse(key, out long k) ? k : key);
                    rest = rest[(stop + 1)..];
                }
            }

            if (conversion == 'r') value = Py.Repr(value);
            else if (conversion == 's') value = Py.Str(value);
            sb.Append(FormatSpec.Apply(value, spec));
        }
        return sb.ToString();
    }

    private static object? Positional(Arguments args, int index) =>
        index < args.Positional.Count
            ? args.Positional[index]
            : throw new TemplateException($"Replacement index {index} out of range for positional args tuple", TemplateErrorKind.Type);
}

/// <summary>Python's format-spec mini-language: <c>[[fill]align][sign][0][width][,][.precision][type]</c>.</summary>
internal static class FormatSpec
{
    public static string Apply(object? value, string spec)
    {
        if (spec.Length == 0) return Py.Str(value);
        int i = 0;
        char fill = ' ', align = '\0';
        if (spec.Length >= 2 && spec[1] is '<' or '>' or '^' or '=')
        {
            fill = spec[0];
            align = spec[1];
            i = 2;
        }
        else if (spec[0] is '<' or '>' or '^' or '=')
        {
            align = spec[0];
            i = 1;
        }
        char sign = '-';
        if (i < spec.Length && spec[i] is '+' or '-' or ' ') sign = spec[i++];
        if (i < spec.Length && spec[i] == '0')
        {
            if (align == '\0')
            {
                fill = '0';
                align = '=';
            }
            i++;
        }
        int width = 0;
        while (i < spec.Length && char.IsAsciiDigit(spec[i])) width = width * 10 + (spec[i++] - '0');
        bool grouping = false;
        if (i < spec.Length && spec[i] == ',')
        {
            grouping = true;
            i++;
        }
        int precision = -1;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            precision = 0;
            while (i < spec.Length && char.IsAsciiDigit(spec[i])) precision = precision * 10 + (spec[i++] - '0');
        }
        char type = i < spec.Length ? spec[i] : '\0';

        string body;
        bool numeric = value is long or double or bool && type != 's';
        if (!numeric)
        {
            body = Py.Str(value);
            if (precision >= 0 && body.Length > precision) body = body[..precision];
            if (align == '\0') align = '<';
        }
        else
        {
            body = FormatNumber(value, type, precision, grouping);
            if (sign != '-' && !body.StartsWith('-')) body = (sign == '+' ? "+" : " ") + body;
            if (align == '\0') align = '>';
        }
        int len = Py.StringLength(body);
        if (len >= width) return body;
        if (align == '=')
        {
            int signLength = body.Length > 0 && body[0] is '-' or '+' or ' ' ? 1 : 0;
            return body[..signLength] + new string(fill, width - len) + body[signLength..];
        }
        if (align == '^')
        {
            // Format specs center with the extra character on the right (str.center differs).
            int left = (width - len) / 2;
            return new string(fill, left) + body + new string(fill, width - len - left);
        }
        return Methods.Pad(body, width, fill, align);
    }

    private static string Group(string number, bool grouping)
    {
        if (!grouping) return number;
        int dot = number.IndexOf('.');
        string integer = dot >= 0 ? number[..dot] : number;
        bool negative = integer.StartsWith('-');
        if (negative) integer = integer[1..];
        var sb = new StringBuilder();
        for (int i = 0; i < integer.Length; i++)
        {
            if (i > 0 && (integer.Length - i) % 3 == 0) sb.Append(',');
            sb.Append(integer[i]);
        }
        return (negative ? "-" : "") + sb + (dot >= 0 ? number[dot..] : "");
    }

    private static string FormatNumber(object? value, char type, int precision, bool grouping)
    {
        var inv = CultureInfo.InvariantCulture;
        string group = grouping ? "#,0" : "0";
        switch (type)
        {
            case 'd':
                if (value is double) throw new TemplateException("Unknown format code 'd' for object of type 'float'", TemplateErrorKind.Type);
                return Py.ToLong(value).ToString(group, inv);
            case 'f':
            case 'F':
                return Group(FloatDigits.Fixed(Py.ToDouble(value), precision < 0 ? 6 : precision), grouping);
            case 'e':
            case 'E':
            {
                string s = FloatDigits.Scientific(Py.ToDouble(value), precision < 0 ? 6 : precision);
                return type == 'E' ? s.ToUpperInvariant() : s;
            }
            case 'g':
            case 'G':
            {
                string s = FloatDigits.General(Py.ToDouble(value), precision < 0 ? 6 : precision, keepPoint: false);
                return type == 'G' ? s.ToUpperInvariant() : s;
            }
            case '%':
                return FloatDigits.Fixed(Py.ToDouble(value), precision < 0 ? 6 : precision, scale: 100) + "%";
            case 'x': return Py.ToLong(value).ToString("x", inv);
            case 'X': return Py.ToLong(value).ToString("X", inv);
            case 'b': return Convert.ToString(Py.ToLong(value), 2);
            case 'o': return Convert.ToString(Py.ToLong(value), 8);
            default:
                if (value is double d)
                {
                    if (precision >= 0) return FloatDigits.General(d, precision, keepPoint: true);
                    return Py.FloatRepr(d);
                }
                return grouping ? Py.ToLong(value).ToString("#,0", inv) : Py.Str(value is bool b ? (b ? 1L : 0L) : value);
        }
    }
}

/// <summary>
/// Decimal digits of a double rounded the way CPython does: exactly, half-to-even on the binary value
/// (so 2.25 -> "2.2" with one decimal, where .NET's "F1" gives "2.3").
/// </summary>
internal static class FloatDigits
{
    public static string Fixed(double d, int precision, int scale = 1)
    {
        if (!double.IsFinite(d)) return NonFinite(d);
        bool negative = double.IsNegative(d);
        var (num, den) = Exact(Math.Abs(d));
        BigInteger q = RoundHalfEven(num * scale * BigInteger.Pow(10, precision), den);
        string digits = q.ToString(CultureInfo.InvariantCulture).PadLeft(precision + 1, '0');
        string text = precision > 0 ? digits[..^precision] + "." + digits[^precision..] : digits;
        return negative ? "-" + text : text;
    }

    public static string Scientific(double d, int precision)
    {
        if (!double.IsFinite(d)) return NonFinite(d);
        var (digits, exponent) = Significant(d, precision + 1);
        string mantissa = precision > 0 ? digits[..1] + "." + digits[1..] : digits;
        return (double.IsNegative(d) ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>The 'g' presentation: fixed or scientific by exponent, trailing zeros removed.</summary>
    public static string General(double d, int precision, bool keepPoint)
    {
        if (!double.IsFinite(d)) return NonFinite(d);
        if (precision == 0) precision = 1;
        int exponent = d == 0 ? 0 : Significant(d, precision).Exponent;
        string text;
        if (exponent >= -4 && exponent < precision)
        {
            text = Fixed(d, precision - 1 - exponent);
            if (text.Contains('.')) text = text.TrimEnd('0').TrimEnd('.');
            if (keepPoint && !text.Contains('.')) text += ".0";
        }
        else
        {
            text = Scientific(d, precision - 1);
            int e = text.IndexOf('e');
            string mantissa = text[..e];
            if (mantissa.Contains('.')) mantissa = mantissa.TrimEnd('0').TrimEnd('.');
            text = mantissa + text[e..];
        }
        return text;
    }

    /// <summary>The first <paramref name="count"/> significant digits (rounded) and the power of ten of the first.</summary>
    private static (string Digits, int Exponent) Significant(double d, int count)
    {
        if (d == 0) return (new string('0', count), 0);
        var (num, den) = Exact(Math.Abs(d));
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(d)));
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int shift = count - 1 - exponent;
            BigInteger q = shift >= 0
                ? RoundHalfEven(num * BigInteger.Pow(10, shift), den)
                : RoundHalfEven(num, den * BigInteger.Pow(10, -shift));
            string digits = q.ToString(CultureInfo.InvariantCulture);
            if (digits.Length == count) return (digits, exponent);
            exponent += digits.Length > count ? 1 : -1; // log10 was off by one, or rounding carried into a new digit
        }
        throw new InvalidOperationException("float digit generation did not converge");
    }

    private static string NonFinite(double d) => double.IsNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";

    /// <summary>A finite non-negative double as an exact fraction num/den (den a power of two).</summary>
    private static (BigInteger Num, BigInteger Den) Exact(double d)
    {
        long bits = BitConverter.DoubleToInt64Bits(d);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent = 1;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        return exponent >= 0 ? (new BigInteger(mantissa) << exponent, BigInteger.One) : (new BigInteger(mantissa), BigInteger.One << -exponent);
    }

    private static BigInteger RoundHalfEven(BigInteger num, BigInteger den)
    {
        BigInteger q = BigInteger.DivRem(num, den, out BigInteger r);
        BigInteger twice = r * 2;
        if (twice > den || (twice == den && !q.IsEven)) q += 1;
        return q;
    }
}

/// <summary>Python's printf-style <c>"%s" % value</c> (also the <c>format</c> filter).</summary>
internal static class PercentFormat
{
    public static string Format(string format, object? values)
    {
        IReadOnlyList<object?> args = values is object?[] tuple ? tuple : [values];
        PyDict? mapping = values as PyDict;
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }
            if (++i >= format.Length) throw new TemplateException("incomplete format", TemplateErrorKind.Type);
            object? value = null;
            bool haveValue = false;
            if (format[i] == '(')
            {
                int close = format.IndexOf(')', i);
                if (close < 0 || mapping == null) throw new TemplateException("format requires a mapping", TemplateErrorKind.Type);
                string key = format[(i + 1)..close];
                if (!mapping.TryGet(key, out value)) throw new TemplateException($"KeyError: '{key}'", TemplateErrorKind.Type);
                haveValue = true;
                i = close + 1;
            }
            var flags = new StringBuilder();
            while (i < format.Length && format[i] is '-' or '+' or ' ' or '0' or '#') flags.Append(format[i++]);
            int width = 0;
            while (i < format.Length && char.IsAsciiDigit(format[i])) width = width * 10 + (format[i++] - '0');
            int precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = 0;
                while (i < format.Length && char.IsAsciiDigit(format[i])) precision = precision * 10 + (format[i++] - '0');
            }
            if (i >= format.Length) throw new TemplateException("incomplete format", TemplateErrorKind.Type);
            char type = format[i];
            if (type == '%')
            {
                sb.Append('%');
                continue;
            }
            if (!haveValue)
            {
                if (next >= args.Count) throw new TemplateException("not enough arguments for format string", TemplateErrorKind.Type);
                value = args[next++];
            }
            string body = type switch
            {
                's' => Py.Str(value),
                'r' or 'a' => Py.Repr(value),
                'd' or 'i' or 'u' => Py.IsNumber(value)
                    ? ((long)Math.Truncate(Py.ToDouble(value))).ToString(CultureInfo.InvariantCulture)
                    : throw new TemplateException($"%{type} format: a real number is required, not {Py.TypeName(value)}", TemplateErrorKind.Type),
                'f' or 'F' or 'e' or 'E' or 'g' or 'G' or 'x' or 'X' or 'o' => FormatSpec.Apply(value, (precision >= 0 ? "." + precision : "") + type),
                'c' => value is long l ? char.ConvertFromUtf32((int)l) : Py.Str(value),
                _ => throw new TemplateException($"unsupported format character '{type}'", TemplateErrorKind.Type),
            };
            if (type is 's' or 'r' && precision >= 0 && body.Length > precision) body = body[..precision];
            if (type is 'd' or 'i' or 'u' && flags.ToString().Contains('+') && !body.StartsWith('-')) body = "+" + body;
            if (body.Length < width)
            {
                string f = flags.ToString();
                if (f.Contains('-')) body = body.PadRight(width);
                else if (f.Contains('0') && type is not ('s' or 'r')) body = body.StartsWith('-') ? "-" + body[1..].PadLeft(width - 1, '0') : body.PadLeft(width, '0');
                else body = body.PadLeft(width);
            }
            sb.Append(body);
        }
        if (mapping == null && next < args.Count && values is object?[])
            throw new TemplateException("not all arguments converted during string formatting", TemplateErrorKind.Type);
        return sb.ToString();
    }
}
