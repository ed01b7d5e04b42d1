using System.Globalization;
using System.Text;

namespace Llambda.Templates;

/// <summary>Python's <c>datetime.strftime</c> for a naive datetime in the C locale (glibc codes included).</summary>
internal static class Strftime
{
    private static readonly string[] s_days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] s_months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }
            char code = format[++i];
            // glibc flags: "%-d" (no padding), "%_d" (space padding), "%0e" (zero padding).
            char pad = '\0';
            if (code is '-' or '_' or '0' && i + 1 < format.Length)
            {
                pad = code;
                code = format[++i];
            }
            string? text = Code(t, code);
            if (text == null)
            {
                sb.Append('%');
                if (pad != '\0') sb.Append(pad);
                sb.Append(code);
                continue;
            }
            if (pad == '-') text = text.TrimStart('0', ' ') is { Length: > 0 } trimmed ? trimmed : "0";
            else if (pad == '_') text = text.Length > 1 && text[0] == '0' ? " " + text[1..] : text;
            else if (pad == '0') text = text.Replace(' ', '0');
            sb.Append(text);
        }
        return sb.ToString();
    }

    private static string? Code(DateTime t, char code)
    {
        var inv = CultureInfo.InvariantCulture;
        int hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return code switch
        {
            'a' => s_days[(int)t.DayOfWeek][..3],
            'A' => s_days[(int)t.DayOfWeek],
            'w' => ((int)t.DayOfWeek).ToString(inv),
            'u' => (t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek).ToString(inv),
            'd' => t.Day.ToString("00", inv),
            'e' => t.Day.ToString(inv).PadLeft(2),
            'b' or 'h' => s_months[t.Month - 1][..3],
            'B' => s_months[t.Month - 1],
            'm' => t.Month.ToString("00", inv),
            'y' => (t.Year % 100).ToString("00", inv),
            'Y' => t.Year.ToString(inv),
            'C' => (t.Year / 100).ToString("00", inv),
            'H' => t.Hour.ToString("00", inv),
            'k' => t.Hour.ToString(inv).PadLeft(2),
            'I' => hour12.ToString("00", inv),
            'l' => hour12.ToString(inv).PadLeft(2),
            'p' => t.Hour < 12 ? "AM" : "PM",
            'P' => t.Hour < 12 ? "am" : "pm",
            'M' => t.Minute.ToString("00", inv),
            'S' => t.Second.ToString("00", inv),
            'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv),
            'z' or 'Z' => "",
            'j' => t.DayOfYear.ToString("000", inv),
            'U' => ((t.DayOfYear + 6 - (int)t.DayOfWeek) / 7).ToString("00", inv),
            'W' => ((t.DayOfYear + 6 - ((int)t.DayOfWeek + 6) % 7) / 7).ToString("00", inv),
            'V' => ISOWeek.GetWeekOfYear(t).ToString("00", inv),
            'G' => ISOWeek.GetYear(t).ToString(inv),
            'g' => (ISOWeek.GetYear(t) % 100).ToString("00", inv),
            'c' => $"{Code(t, 'a')} {Code(t, 'b')} {Code(t, 'e')} {Code(t, 'H')}:{Code(t, 'M')}:{Code(t, 'S')} {t.Year}",
            'x' => $"{Code(t, 'm')}/{Code(t, 'd')}/{Code(t, 'y')}",
            'D' => $"{Code(t, 'm')}/{Code(t, 'd')}/{Code(t, 'y')}",
            'X' or 'T' => $"{Code(t, 'H')}:{Code(t, 'M')}:{Code(t, 'S')}",
            'R' => $"{Code(t, 'H')}:{Code(t, 'M')}",
            'r' => $"{Code(t, 'I')}:{Code(t, 'M')}:{Code(t, 'S')} {Code(t, 'p')}",
            'F' => $"{t.Year}-{Code(t, 'm')}-{Code(t, 'd')}",
            's' => ((long)(t - DateTime.UnixEpoch).TotalSeconds).ToString(inv),
            'n' => "\n",
            't' => "\t",
            '%' => "%",
            _ => null,
        };
    }
}
