using System.Globalization;
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
        return Methods.Pad(body, width, fill, align);
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
                return Py.ToDouble(value).ToString(group + "." + new string('0', precision < 0 ? 6 : precision), inv).Replace(".", precision == 0 ? "" : ".");
            case 'e':
            case 'E':
            {
                string s = Py.ToDouble(value).ToString((precision < 0 ? "0.000000" : "0." + new string('0', precision)) + "e+00", inv);
                return type == 'E' ? s.ToUpperInvariant() : s;
            }
            case '%':
                return (Py.ToDouble(value) * 100).ToString("0." + new string('0', precision < 0 ? 6 : precision), inv) + "%";
            case 'x': return Py.ToLong(value).ToString("x", inv);
            case 'X': return Py.ToLong(value).ToString("X", inv);
            case 'b': return Convert.ToString(Py.ToLong(value), 2);
            case 'o': return Convert.ToString(Py.ToLong(value), 8);
            default:
                if (value is double d)
                {
                    if (precision >= 0) return d.ToString("G" + Math.Max(precision, 1), inv);
                    return Py.FloatRepr(d);
                }
                return grouping ? Py.ToLong(value).ToString("#,0", inv) : Py.Str(value is bool b ? (b ? 1L : 0L) : value);
        }
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
