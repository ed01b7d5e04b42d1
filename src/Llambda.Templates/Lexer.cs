using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Llambda.Templates;

internal enum TokenKind
{
    Text,           // template data between tags
    VariableBegin,  // {{
    VariableEnd,    // }}
    BlockBegin,     // {%
    BlockEnd,       // %}
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Position)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.Text => "template data",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.BlockEnd => "'%}'",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits template source into tokens the way Jinja2's lexer does, including its whitespace rules:
/// <c>-</c>/<c>+</c> modifiers on tags, trim_blocks (drop the newline after a block tag or comment) and
/// lstrip_blocks (drop the indentation before a block tag or comment that starts a line).
/// Comments produce no tokens; their whitespace effects still apply.
/// </summary>
internal sealed class Lexer
{
    private static readonly Regex s_rawBegin = new(@"\G\{%([-+]?)\s*raw\s*([-+]?)%\}", RegexOptions.CultureInvariant);
    private static readonly Regex s_rawEnd = new(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}", RegexOptions.CultureInvariant);

    // Longest first, so "**" wins over "*".
    private static readonly string[] s_operators =
    [
        "**", "//", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";",
    ];

    private readonly string _source;
    private readonly JinjaOptions _options;
    private readonly List<Token> _tokens = [];
    private readonly SourceMap _map;
    private int _pos;

    private Lexer(string source, JinjaOptions options)
    {
        _source = source;
        _options = options;
        _map = new SourceMap(source);
    }

    /// <summary>Jinja2 normalizes newlines to \n and (unless keep_trailing_newline) drops one at the very end.</summary>
    public static string Normalize(string source, JinjaOptions options)
    {
        string s = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        if (!options.KeepTrailingNewline && s.EndsWith('\n')) s = s[..^1];
        return s;
    }

    public static List<Token> Tokenize(string normalizedSource, JinjaOptions options, out SourceMap map)
    {
        var lexer = new Lexer(normalizedSource, options);
        lexer.Run();
        map = lexer._map;
        return lexer._tokens;
    }

    private TemplateException Error(string message, int position)
    {
        var (line, column) = _map.Locate(position);
        return new TemplateException(message, TemplateErrorKind.Syntax, line, column);
    }

    private void Run()
    {
        // True when the previous tag ended a line (its trimmed newline), so a tag at position 0 of the next text starts a line.
        bool lineStarting = true;
        while (_pos < _source.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                _tokens.Add(new Token(TokenKind.Text, _source[_pos..], null, _pos));
                break;
            }

            char kind = _source[tag + 1];
            char sign = tag + 2 < _source.Length && (_source[tag + 2] == '-' || _source[tag + 2] == '+') ? _source[tag + 2] : '\0';
            string text = _source[_pos..tag];
            if (sign == '-')
            {
                text = RStrip(text);
            }
            else if (sign != '+' && _options.LstripBlocks && kind != '{')
            {
                int lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.Length && IsBlank(text, lineStart))
                {
                    text = text[..lineStart];
                }
            }
            if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, null, _pos));

            if (kind == '%' && s_rawBegin.Match(_source, tag) is { Success: true } raw)
            {
                lineStarting = LexRaw(tag, raw);
                continue;
            }

            _pos = tag + 2 + (sign != '\0' ? 1 : 0);
            switch (kind)
            {
                case '#':
                    lineStarting = SkipComment(tag);
                    break;
                case '{':
                    _tokens.Add(new Token(TokenKind.VariableBegin, "{{", null, tag));
                    lineStarting = LexInsideTag(tag, isBlock: false);
                    break;
                default:
                    _tokens.Add(new Token(TokenKind.BlockBegin, "{%", null, tag));
                    lineStarting = LexInsideTag(tag, isBlock: true);
                    break;
            }
        }
        _tokens.Add(new Token(TokenKind.Eof, "", null, _source.Length));
    }

    private int FindTagStart(int from)
    {
        int i = from;
        while (true)
        {
            i = _source.IndexOf('{', i);
            if (i < 0 || i + 1 >= _source.Length) return -1;
            char next = _source[i + 1];
            if (next == '{' || next == '%' || next == '#') return i;
            i++;
        }
    }

    private static bool IsBlank(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (!Py.IsSpace(text[i])) return false;
        }
        return true;
    }

    private static string RStrip(string text)
    {
        int end = text.Length;
        while (end > 0 && Py.IsSpace(text[end - 1])) end--;
        return text[..end];
    }

    /// <summary>After a tag's closing delimiter: <c>-</c> eats all following whitespace, else trim_blocks eats one newline.</summary>
    private bool SkipAfterTagEnd(bool stripAll, bool trimNewline)
    {
        int start = _pos;
        if (stripAll)
        {
            while (_pos < _source.Length && Py.IsSpace(_source[_pos])) _pos++;
        }
        else if (trimNewline && _pos < _source.Length && _source[_pos] == '\n')
        {
            _pos++;
        }
        return _pos > start ? _source[_pos - 1] == '\n' : false;
    }

    private bool SkipComment(int tagStart)
    {
        int end = _source.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (end < 0) throw Error("missing end of comment tag", tagStart);
        bool strip = end - 1 >= _pos && _source[end - 1] == '-';
        _pos = end + 2;
        return SkipAfterTagEnd(strip, _options.TrimBlocks);
    }

    private bool LexRaw(int tagStart, Match begin)
    {
        int contentStart = begin.Index + begin.Length;
        var end = s_rawEnd.Match(_source, contentStart);
        if (!end.Success) throw Error("missing end of raw directive", tagStart);
        string content = _source[contentStart..end.Index];
        if (begin.Groups[2].Value == "-") content = content.TrimStart();
        if (end.Groups[1].Value == "-") content = RStrip(content);
        if (content.Length > 0) _tokens.Add(new Token(TokenKind.Text, content, null, contentStart));
        _pos = end.Index + end.Length;
        return SkipAfterTagEnd(end.Groups[2].Value == "-", _options.TrimBlocks && end.Groups[2].Value != "+");
    }

    /// <summary>Lexes expression tokens up to the tag's end delimiter; returns whether the consumed text ended a line.</summary>
    private bool LexInsideTag(int tagStart, bool isBlock)
    {
        char closer = isBlock ? '%' : '}';
        var open = new Stack<char>(); // closers expected: "}}" inside {'a': {'b': 1}} is not the end of the tag
        while (true)
        {
            while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos])) _pos++;
            if (_pos >= _source.Length) throw Error(isBlock ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'", tagStart);

            if (open.Count == 0)
            {
                // "-%}" / "+%}" / "%}" (or the "}}" forms) close the tag.
                int p = _pos;
                char modifier = '\0';
                if ((_source[p] == '-' || _source[p] == '+') && Matches(p + 1, closer))
                {
                    modifier = _source[p];
                    p++;
                }
                if (Matches(p, closer))
                {
                    _tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", null, p));
                    _pos = p + 2;
                    return SkipAfterTagEnd(modifier == '-', isBlock && modifier != '+' && _options.TrimBlocks);
                }
            }

            char c = _source[_pos];
            int start = _pos;
            if (char.IsLetter(c) || c == '_')
            {
                while (_pos < _source.Length && (char.IsLetterOrDigit(_source[_pos]) || _source[_pos] == '_')) _pos++;
                _tokens.Add(new Token(TokenKind.Name, _source[start.._pos], null, start));
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber();
            }
            else if (c == '\'' || c == '"')
            {
                LexString(c);
            }
            else
            {
                string? op = null;
                foreach (string candidate in s_operators)
                {
                    if (string.CompareOrdinal(_source, _pos, candidate, 0, candidate.Length) == 0)
                    {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) throw Error($"unexpected char '{c}'", _pos);
                if (op is "(" or "[" or "{")
                {
                    open.Push(op switch { "(" => ')', "[" => ']', _ => '}' });
                }
                else if (op is ")" or "]" or "}")
                {
                    if (open.Count == 0) throw Error($"unexpected '{op}'", _pos);
                    char expected = open.Pop();
                    if (op[0] != expected) throw Error($"unexpected '{op}', expected '{expected}'", _pos);
                }
                _pos += op.Length;
                _tokens.Add(new Token(TokenKind.Operator, op, null, start));
            }
        }
    }

    private bool Matches(int p, char closer) =>
        p + 1 < _source.Length && _source[p] == closer && _source[p + 1] == '}';

    private void LexNumber()
    {
        int start = _pos;
        SkipDigits();
        bool isFloat = false;
        if (_pos + 1 < _source.Length && _source[_pos] == '.' && char.IsAsciiDigit(_source[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            SkipDigits();
        }
        if (_pos < _source.Length && (_source[_pos] == 'e' || _source[_pos] == 'E'))
        {
            int save = _pos;
            _pos++;
            if (_pos < _source.Length && (_source[_pos] == '+' || _source[_pos] == '-')) _pos++;
            if (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
            {
                isFloat = true;
                SkipDigits();
            }
            else
            {
                _pos = save;
            }
        }
        string text = _source[start.._pos];
        string clean = text.Replace("_", "");
        if (isFloat)
        {
            _tokens.Add(new Token(TokenKind.Float, text, double.Parse(clean, CultureInfo.InvariantCulture), start));
        }
        else
        {
            if (!long.TryParse(clean, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) throw Error("integer literal too large", start);
            _tokens.Add(new Token(TokenKind.Integer, text, value, start));
        }
    }

    private void SkipDigits()
    {
        while (_pos < _source.Length && (char.IsAsciiDigit(_source[_pos]) || (_source[_pos] == '_' && _pos + 1 < _source.Length && char.IsAsciiDigit(_source[_pos + 1])))) _pos++;
    }

    /// <summary>String literals unescape like Python's "unicode_escape" codec (unknown escapes stay as written).</summary>
    private void LexString(char quote)
    {
        int start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _source.Length) throw Error("unexpected end of string", start);
            char c = _source[_pos++];
            if (c == quote) break;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _source.Length) throw Error("unexpected end of string", start);
            char e = _source[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break; // backslash-newline continues the line
                case 'x': sb.Append(ReadHexEscape(2, start)); break;
                case 'u': sb.Append(ReadHexEscape(4, start)); break;
                case 'U': sb.Append(ReadHexEscape(8, start)); break;
                case 'N': throw Error("\\N{...} escapes are not supported in string literals", start);
                case >= '0' and <= '7':
                {
                    int value = e - '0';
                    for (int i = 0; i < 2 && _pos < _source.Length && _source[_pos] is >= '0' and <= '7'; i++) value = value * 8 + (_source[_pos++] - '0');
                    sb.Append((char)value);
                    break;
                }
                default: sb.Append('\\').Append(e); break;
            }
        }
        _tokens.Add(new Token(TokenKind.String, _source[start.._pos], sb.ToString(), start));
    }

    private string ReadHexEscape(int digits, int stringStart)
    {
        if (_pos + digits > _source.Length) throw Error("truncated \\x/\\u escape in string", stringStart);
        string hex = _source.Substring(_pos, digits);
        if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int cp) || cp > 0x10FFFF)
            throw Error("invalid escape in string", stringStart);
        _pos += digits;
        return char.ConvertFromUtf32(cp is >= 0xD800 and <= 0xDFFF ? 0xFFFD : cp);
    }
}

/// <summary>Maps source offsets to 1-based line and column for error messages.</summary>
internal sealed class SourceMap
{
    private readonly List<int> _lineStarts = [0];

    public SourceMap(string source)
    {
        for (int i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n') _lineStarts.Add(i + 1);
        }
    }

    public (int Line, int Column) Locate(int position)
    {
        int index = _lineStarts.BinarySearch(position);
        if (index < 0) index = ~index - 1;
        return (index + 1, position - _lineStarts[index] + 1);
    }
}
