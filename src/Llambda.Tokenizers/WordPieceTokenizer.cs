using System.Globalization;
using System.Text;

namespace Llambda.Tokenizers;

/// <summary>
/// BERT WordPiece as llama.cpp's <c>llm_tokenizer_wpm</c> runs it: reduce each code point to the first
/// of its NFD decomposition (dropping accents), lowercase, drop control characters, split at whitespace and around punctuation and CJK characters, then greedily take the longest
/// token from the left of each word. GGUF stores word-initial pieces with a <c>▁</c> prefix (instead of
/// marking continuations with <c>##</c>), so the word is matched with <c>▁</c> prepended.
/// </summary>
public sealed class WordPieceTokenizer : Tokenizer
{
    private readonly int _maxTokenLength;

    public WordPieceTokenizer(Vocabulary vocabulary) : base(vocabulary)
    {
        foreach (string t in vocabulary.Tokens) _maxTokenLength = Math.Max(_maxTokenLength, t.Length);
    }

    protected override void EncodeText(string text, int start, int length, bool afterSpecial, List<int> output)
    {
        foreach (string word in Preprocess(text.Substring(start, length)))
        {
            string w = "\u2581" + word;
            int before = output.Count;
            for (int i = 0; i < w.Length;)
            {
                int found = -1, end = 0;
                for (int j = Math.Min(w.Length, i + _maxTokenLength + 1); j > i; j--)
                {
                    found = Vocabulary.TokenToId(w.AsSpan(i, j - i));
                    if (found >= 0) { end = j; break; }
                }
                if (found < 0)
                {
                    output.RemoveRange(before, output.Count - before); // one unknown piece spoils the word
                    break;
                }
                output.Add(found);
                i = end;
            }
            if (output.Count == before) output.Add(Vocabulary.Unknown);
        }
    }

    private static List<string> Preprocess(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        void Finish()
        {
            if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
        }

        foreach (Rune original in text.EnumerateRunes())
        {
            int cp = UnicodeNfd.FirstOfDecomposition(original.Value);
            var rune = new Rune(cp);
            if (Rune.IsWhiteSpace(rune)) { Finish(); continue; }
            UnicodeCategory cat = Rune.GetUnicodeCategory(rune);
            if (cp == 0 || cp == 0xFFFD || cat is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate) continue;
            Rune lower = Rune.ToLowerInvariant(rune);
            bool isPunctuation = cat is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
                or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
            bool isAsciiSymbol = cp < 0x7F && cat is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol
                or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;
            if (isPunctuation || isAsciiSymbol || IsChinese(cp))
            {
                Finish();
                words.Add(lower.ToString());
            }
            else
            {
                current.Append(lower.ToString());
            }
        }
        Finish();
        return words;
    }

    private static bool IsChinese(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
