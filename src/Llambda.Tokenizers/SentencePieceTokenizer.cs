using System.Buffers;
using System.Text;

namespace Llambda.Tokenizers;

/// <summary>
/// SentencePiece BPE as llama.cpp's <c>llm_tokenizer_spm</c> runs it: spaces become <c>▁</c>, the text starts as
/// one symbol per code point, and the adjacent pair whose concatenation is the highest-scoring token merges
/// first (ties: leftmost). Symbols that end up as no token fall back to <c>&lt;0xNN&gt;</c> byte tokens.
/// </summary>
public sealed class SentencePieceTokenizer : Tokenizer
{
    private const char Escape = '\u2581'; // ▁
    private readonly int[] _byteTokens = new int[256];

    public SentencePieceTokenizer(Vocabulary vocabulary) : base(vocabulary)
    {
        for (int b = 0; b < 256; b++)
        {
            int id = vocabulary.TokenToId($"<0x{b:X2}>");
            // Vocabularies without byte tokens may still hold the ASCII character itself.
            if (id < 0 && b < 0x80) id = vocabulary.TokenToId(((char)b).ToString());
            _byteTokens[b] = id >= 0 ? id : vocabulary.Unknown;
        }
    }

    protected override void EncodeText(string text, int start, int length, bool afterSpecial, List<int> output)
    {
        bool prefix = Vocabulary.AddSpacePrefix && afterSpecial;
        int n = length + (prefix ? 1 : 0);
        if (n == 0) return;
        char[] rented = ArrayPool<char>.Shared.Rent(n);
        try
        {
            Span<char> chars = rented.AsSpan(0, n);
            if (prefix) chars[0] = ' ';
            text.AsSpan(start, length).CopyTo(chars[(prefix ? 1 : 0)..]);
            chars.Replace(' ', Escape);
            Tokenize(chars, output);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private struct Symbol
    {
        public int Start, Length, Prev, Next;
    }

    /// <summary>
    /// Queue priority for a pair: highest score first, then leftmost. The score's bits are mapped to an unsigned
    /// key that sorts like the float, inverted, above the left index, so the heap compares plain integers.
    /// </summary>
    private static ulong Priority(float score, int left)
    {
        if (score == 0) score = 0; // -0.0 ties with 0.0, as float comparison says
        uint bits = BitConverter.SingleToUInt32Bits(score);
        uint ascending = (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
        return ((ulong)~ascending << 32) | (uint)left;
    }

    private void Tokenize(ReadOnlySpan<char> text, List<int> output)
    {
        // One symbol per code point (a surrogate pair stays together).
        var symbols = new Symbol[text.Length];
        int count = 0;
        for (int i = 0; i < text.Length;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            symbols[count] = new Symbol { Start = i, Length = len, Prev = count - 1, Next = i + len < text.Length ? count + 1 : -1 };
            count++;
            i += len;
        }

        var queue = new PriorityQueue<(int Left, int Right, int Size), ulong>(count);
        for (int i = 1; i < count; i++) TryAddBigram(text, symbols, queue, i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref Symbol left = ref symbols[bigram.Left];
            ref Symbol right = ref symbols[bigram.Right];
            // Skip pairs whose symbols have changed since the pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;

            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) symbols[right.Next].Prev = bigram.Left;

            TryAddBigram(text, symbols, queue, left.Prev, bigram.Left);
            TryAddBigram(text, symbols, queue, bigram.Left, left.Next);
        }

        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i != -1 && count > 0; i = symbols[i].Next)
        {
            ReadOnlySpan<char> piece = text.Slice(symbols[i].Start, symbols[i].Length);
            int id = Vocabulary.TokenToId(piece);
            if (id >= 0)
            {
                output.Add(id);
                continue;
            }
            // Only single code points can be missing: merged symbols are tokens by construction.
            // (llama.cpp's rev_merge re-segmentation therefore never applies here.)
            int n = Encoding.UTF8.GetBytes(piece, utf8);
            for (int k = 0; k < n; k++) output.Add(_byteTokens[utf8[k]]);
        }
    }

    private void TryAddBigram(ReadOnlySpan<char> text, Symbol[] symbols,
        PriorityQueue<(int, int, int), ulong> queue, int left, int right)
    {
        if (left < 0 || right < 0) return;
        int size = symbols[left].Length + symbols[right].Length;
        int id = Vocabulary.TokenToId(text.Slice(symbols[left].Start, size));
        if (id < 0) return;
        queue.Enqueue((left, right, size), Priority(Vocabulary.Scores[id], left));
    }
}
