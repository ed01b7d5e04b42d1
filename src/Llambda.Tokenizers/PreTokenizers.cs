using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Llambda.Tokenizers;

/// <summary>
/// Splits text into words before byte-level BPE, as a sequence of regexes: each regex refines every piece
/// of the previous split into its matches and the gaps between them (both kept), like llama.cpp's
/// <c>unicode_regex_split</c>.
/// </summary>
/// <remarks>
/// .NET regexes work on UTF-16 code units, so a character outside the BMP would be two surrogates that
/// <c>\p{L}</c> and friends do not match, and a pattern could split it. llama.cpp matches code points, so
/// before matching, every astral code point is replaced by one BMP stand-in of the same general category
/// (see <see cref="Collapse"/>); offsets then map back to the original text.
/// </remarks>
public sealed class PreTokenizer
{
    private readonly Regex[] _stages;
    private readonly (int First, int Last)[] _astralInClass;

    internal PreTokenizer(string name, Regex[] stages, bool ignoreMerges = false, bool addBos = false,
        (int, int)[]? astralLettersInExplicitClass = null)
    {
        Name = name;
        _stages = stages;
        IgnoreMerges = ignoreMerges;
        AddBos = addBos;
        _astralInClass = astralLettersInExplicitClass ?? [];
    }

    public string Name { get; }

    /// <summary>The regexes applied in order.</summary>
    public IReadOnlyList<Regex> Stages => _stages;

    /// <summary>Llama-3-style: a word that is a whole token skips merging.</summary>
    public bool IgnoreMerges { get; }

    /// <summary>llama.cpp turns BOS on for this pre-tokenizer's models.</summary>
    public bool AddBos { get; }

    /// <summary>Splits <paramref name="text"/> and appends each word's (start, length) in UTF-16 units.</summary>
    public void Split(string text, List<(int Start, int Length)> words)
    {
        if (text.Length == 0) return;
        int[]? map = null; // collapsed index -> original index, only when the text has astral code points
        string subject = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 ? Collapse(text, out map) : text;

        var current = new List<(int, int)> { (0, subject.Length) };
        var next = new List<(int, int)>();
        foreach (Regex regex in _stages)
        {
            next.Clear();
            foreach ((int start, int length) in CollectionsMarshal.AsSpan(current))
            {
                int done = 0;
                foreach (ValueMatch m in regex.EnumerateMatches(subject.AsSpan(start, length)))
                {
                    if (m.Length == 0) continue;
                    if (m.Index > done) next.Add((start + done, m.Index - done));
                    next.Add((start + m.Index, m.Length));
                    done = m.Index + m.Length;
                }
                if (done < length) next.Add((start + done, length - done));
            }
            (current, next) = (next, current);
        }

        foreach ((int start, int length) in CollectionsMarshal.AsSpan(current))
        {
            if (map == null) words.Add((start, length));
            else words.Add((map[start], map[start + length] - map[start]));
        }
    }

    /// <summary>
    /// One UTF-16 unit per code point: BMP characters stay, astral ones become a BMP character of the same
    /// category that no pattern names explicitly. <paramref name="map"/> has one extra entry for the end.
    /// </summary>
    private string Collapse(string text, out int[] map)
    {
        var chars = new char[text.Length];
        map = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            map[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, text[i + 1]);
                chars[n++] = StandIn(cp);
                i++;
            }
            else chars[n++] = char.IsSurrogate(c) ? '\uFFFD' : c; // a lone surrogate becomes U+FFFD in UTF-8 anyway
        }
        map[n] = text.Length;
        return new string(chars, 0, n);
    }

    private char StandIn(int cp)
    {
        UnicodeCategory cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        switch (cat)
        {
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                foreach ((int first, int last) in _astralInClass)
                    if (cp >= first && cp <= last) return '\u00B5'; // a letter inside the explicit class
                return '\uA840'; // PHAGS-PA LETTER KA (Lo): a letter outside every explicit range
            case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                return '\uA8D0'; // SAURASHTRA DIGIT ZERO (Nd)
            case UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation:
                return '\uA874'; // PHAGS-PA SINGLE HEAD MARK (Po)
            case UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol:
                return '\uA828'; // SYLOTI NAGRI POETRY MARK-1 (So)
            case UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark:
                return '\uA802'; // SYLOTI NAGRI SIGN DVISVARA (Mn)
            default:
                return '\uE000'; // private use: none of the classes the patterns use
        }
    }
}

/// <summary>
/// The one place that maps <c>tokenizer.ggml.pre</c> names to regex sets, following llama.cpp's
/// <c>llm_tokenizer_bpe</c>. Patterns are llama.cpp's, in .NET syntax: <c>$</c> becomes <c>\z</c> (in .NET
/// <c>$</c> also matches before a final newline), and the case-insensitive contractions are spelled out
/// (<c>'[sS]</c>) because .NET's <c>(?i)</c> also folds 's' with U+017F and 'k' with the Kelvin sign.
/// </summary>
public static partial class PreTokenizers
{
    // GPT-2's pattern. llama.cpp runs its hand-written equivalent, which also takes a lone whitespace run
    // that `\s+(?!\S)` leaves behind; the trailing `|\s+` does the same here.
    private const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private const string Contractions = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    private const string Llama3Pattern =
        Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string Qwen2Pattern =
        Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // Punctuation and ASCII symbols as one run (Falcon and llama.cpp's default BPE split).
    private const string PunctuationRunPattern = @"[\p{P}\$\+<=>\^~\|`]+";

    // DeepSeek LLM's explicit letter class (from its tokenizer.json). The astral ranges cannot appear in a
    // .NET class; astral letters inside them are collapsed to U+00B5, which the class holds.
    private const string DeepSeekLetterPattern =
        @"\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373" +
        @"\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F" +
        @"\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77" +
        @"\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D" +
        @"\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4" +
        @"\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139" +
        @"\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D" +
        @"\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A]+";

    private static readonly (int, int)[] s_deepSeekAstralLetters =
        [(0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2),
         (0x118A0, 0x118DF), (0x1E900, 0x1E943)];

    private const string CjkHangulPattern = @"[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    [GeneratedRegex(Gpt2Pattern, RegexOptions.CultureInvariant)] private static partial Regex Gpt2();
    [GeneratedRegex(Llama3Pattern, RegexOptions.CultureInvariant)] private static partial Regex Llama3();
    [GeneratedRegex(Qwen2Pattern, RegexOptions.CultureInvariant)] private static partial Regex Qwen2();
    [GeneratedRegex(PunctuationRunPattern, RegexOptions.CultureInvariant)] private static partial Regex PunctuationRun();
    [GeneratedRegex(@"[0-9][0-9][0-9]", RegexOptions.CultureInvariant)] private static partial Regex ThreeAsciiDigits();
    [GeneratedRegex(@"\p{N}", RegexOptions.CultureInvariant)] private static partial Regex OneNumber();
    [GeneratedRegex(@"\p{N}+", RegexOptions.CultureInvariant)] private static partial Regex Numbers();
    [GeneratedRegex(@"[\r\n]", RegexOptions.CultureInvariant)] private static partial Regex LineBreak();
    [GeneratedRegex(DeepSeekLetterPattern, RegexOptions.CultureInvariant)] private static partial Regex DeepSeekLetters();
    [GeneratedRegex(@"\s?[\u0021-\u002F\u003A-\u007E\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", RegexOptions.CultureInvariant)]
    private static partial Regex DeepSeekPunctuation();
    [GeneratedRegex(@"\s+\z", RegexOptions.CultureInvariant)] private static partial Regex TrailingSpace();
    [GeneratedRegex(CjkHangulPattern, RegexOptions.CultureInvariant)] private static partial Regex CjkHangul();
    [GeneratedRegex(@"\s?\p{L}+", RegexOptions.CultureInvariant)] private static partial Regex SpaceLetters();
    [GeneratedRegex(@"\s?\p{P}+", RegexOptions.CultureInvariant)] private static partial Regex SpacePunctuation();
    [GeneratedRegex(@" ?[^(\s|.,!?…。，、।۔،)]+", RegexOptions.CultureInvariant)] private static partial Regex BloomWords();

    /// <summary>Names llama.cpp accepts, grouped by the regex set they share.</summary>
    public static IReadOnlyCollection<string> KnownNames => s_factories.Keys;

    private static readonly Dictionary<string, Func<string, PreTokenizer>> s_factories = BuildFactories();

    private static Dictionary<string, Func<string, PreTokenizer>> BuildFactories()
    {
        var map = new Dictionary<string, Func<string, PreTokenizer>>(StringComparer.Ordinal);
        void Add(Func<string, PreTokenizer> factory, params string[] names)
        {
            foreach (string n in names) map[n] = factory;
        }

        Add(n => new PreTokenizer(n, [PunctuationRun(), Gpt2(), Numbers(), ThreeAsciiDigits()]), "default");
        Add(n => new PreTokenizer(n, [Llama3()], ignoreMerges: true, addBos: true),
            "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2");
        Add(n => new PreTokenizer(n, [Llama3()]), "dbrx", "smaug-bpe", "chatglm-bpe");
        Add(n => new PreTokenizer(n, [LineBreak(), DeepSeekLetters(), DeepSeekPunctuation(), TrailingSpace(), CjkHangul(), Numbers()],
            astralLettersInExplicitClass: s_deepSeekAstralLetters), "deepseek-llm");
        Add(n => new PreTokenizer(n, [LineBreak(), SpaceLetters(), SpacePunctuation(), CjkHangul(), OneNumber()]), "deepseek-coder");
        Add(n => new PreTokenizer(n, [PunctuationRun(), Gpt2(), ThreeAsciiDigits()]), "falcon");
        Add(n => new PreTokenizer(n, [OneNumber(), Gpt2()]),
            "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b");
        Add(n => new PreTokenizer(n, [Gpt2()]),
            "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code",
            "roberta-bpe", "mpt", "olmo", "jais", "trillion");
        Add(n => new PreTokenizer(n, [Qwen2()]), "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan");
        Add(n => new PreTokenizer(n, [BloomWords()]), "poro-chat", "bloom", "gpt3-finnish");
        Add(n => new PreTokenizer(n, [BloomWords(), OneNumber()]), "viking");
        return map;
    }

    /// <summary>The pre-tokenizer for a <c>tokenizer.ggml.pre</c> name; throws for names llama.cpp would refuse too.</summary>
    public static PreTokenizer ForName(string name) =>
        s_factories.TryGetValue(name, out var factory)
            ? factory(name)
            : throw new NotSupportedException($"Unknown pre-tokenizer '{name}' (tokenizer.ggml.pre). Known: {string.Join(", ", KnownNames.Order())}.");

    /// <summary>A pre-tokenizer from explicit .NET patterns (Hugging Face <c>Split</c> pre-tokenizers).</summary>
    public static PreTokenizer FromPatterns(string name, IEnumerable<string> patterns, bool ignoreMerges = false) =>
        new(name, patterns.Select(p => p switch
        {
            Gpt2Pattern => Gpt2(),
            Llama3Pattern => Llama3(),
            Qwen2Pattern => Qwen2(),
            @"\p{N}" => OneNumber(),
            _ => new Regex(p, RegexOptions.CultureInvariant | RegexOptions.Compiled),
        }).ToArray(), ignoreMerges);

    internal const string Gpt2RegexPattern = Gpt2Pattern;
    internal const string Llama3RegexPattern = Llama3Pattern;
}
