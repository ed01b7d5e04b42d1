using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Llambda.Tokenizers;

/// <summary>
/// Byte-level BPE as llama.cpp's <c>llm_tokenizer_bpe</c> runs it: the pre-tokenizer splits text into words,
/// each word's UTF-8 bytes start as one symbol each, and the adjacent pair with the lowest merge rank merges
/// first (ties: leftmost) until no ranked pair is left. Results are cached per word.
/// </summary>
/// <remarks>
/// Symbols are tracked by id instead of by string: every vocabulary text has its token id, and merge parts
/// or results that are not tokens get ids past the vocabulary, so a pair of ids means exactly one pair of
/// strings, as llama.cpp's string-keyed merge table does.
/// </remarks>
public sealed class BytePairTokenizer : Tokenizer
{
    private const int MaxCachedWords = 1 << 18;
    private const int MaxCachedWordLength = 64;

    private readonly PreTokenizer _preTokenizer;
    private readonly Dictionary<long, (int Rank, int Result)> _merges;
    private readonly List<string> _extraSymbols = []; // texts of symbol ids >= VocabSize
    private readonly int[] _byteSymbols = new int[256];
    private readonly int[] _asciiTokens = new int[128];
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public BytePairTokenizer(Vocabulary vocabulary, PreTokenizer preTokenizer) : base(vocabulary)
    {
        _preTokenizer = preTokenizer;
        var extraIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int SymbolId(string s)
        {
            int id = vocabulary.TokenToId(s);
            if (id >= 0) return id;
            if (!extraIds.TryGetValue(s, out id))
            {
                id = vocabulary.Count + _extraSymbols.Count;
                _extraSymbols.Add(s);
                extraIds[s] = id;
            }
            return id;
        }

        _merges = new Dictionary<long, (int, int)>(vocabulary.Merges.Length);
        for (int rank = 0; rank < vocabulary.Merges.Length; rank++)
        {
            string merge = vocabulary.Merges[rank];
            int space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1; // the first part may itself be a space
            if (space < 0) continue;
            string left = merge[..space], right = merge[(space + 1)..];
            long key = PairKey(SymbolId(left), SymbolId(right));
            _merges.TryAdd(key, (rank, SymbolId(left + right))); // first occurrence wins
        }

        for (int b = 0; b < 256; b++) _byteSymbols[b] = SymbolId(ByteLevel.ToChar((byte)b).ToString());
        for (int c = 0; c < 128; c++) _asciiTokens[c] = vocabulary.TokenToId(((char)c).ToString());
    }

    public PreTokenizer PreTokenizer => _preTokenizer;

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    protected override void EncodeText(string text, int start, int length, bool afterSpecial, List<int> output)
    {
        string segment = start == 0 && length == text.Length ? text : text.Substring(start, length);
        var words = new List<(int Start, int Length)>();
        _preTokenizer.Split(segment, words);
        foreach ((int s, int n) in words) EncodeWord(segment.AsSpan(s, n), output);
    }

    /// <summary>Tokenizes one pre-tokenized word, through the cache for short words.</summary>
    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.Length > MaxCachedWordLength)
        {
            Merge(word, output);
            return;
        }
        var lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int before = output.Count;
        Merge(word, output);
        if (_cache.Count >= MaxCachedWords) _cache.Clear();
        _cache.TryAdd(word.ToString(), output.GetRange(before, output.Count - before).ToArray());
    }

    private void Merge(ReadOnlySpan<char> word, List<int> output)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        byte[] rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            Span<byte> bytes = rented.AsSpan(0, byteCount);
            Encoding.UTF8.GetBytes(word, bytes);
            Merge(bytes, output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Merge(ReadOnlySpan<byte> bytes, List<int> output)
    {
        int n = bytes.Length;
        if (n == 0) return;

        if (Vocabulary.IgnoreMerges)
        {
            // Llama 3: a word that is already a token is taken whole.
            Span<char> chars = n <= 256 ? stackalloc char[n] : new char[n];
            for (int i = 0; i < n; i++) chars[i] = ByteLevel.ToChar(bytes[i]);
            int whole = Vocabulary.TokenToId(chars);
            if (whole >= 0)
            {
                output.Add(whole);
                return;
            }
        }

        var ids = new int[n];
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = _byteSymbols[bytes[i]];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        // Priority: lowest rank, then leftmost; entries remember the ids they were made from.
        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Result), long>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            if (_merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
                queue.Enqueue((left, right, ids[left], ids[right], merge.Result), ((long)merge.Rank << 32) | (uint)left);
        }
        for (int i = 1; i < n; i++) TryAdd(i - 1, i);

        while (queue.TryDequeue(out var m, out _))
        {
            // Stale: one side has merged since (or was merged away).
            if (ids[m.Left] != m.LeftId || ids[m.Right] != m.RightId || next[m.Left] != m.Right) continue;
            ids[m.Left] = m.Result;
            ids[m.Right] = -1;
            next[m.Left] = next[m.Right];
            if (next[m.Right] >= 0) prev[next[m.Right]] = m.Left;
            TryAdd(prev[m.Left], m.Left);
            TryAdd(m.Left, next[m.Left]);
        }

        for (int i = 0; i != -1; i = next[i])
        {
            int id = ids[i];
            if (id < Vocabulary.Count)
            {
                output.Add(id);
                continue;
            }
            // Not a token: llama.cpp emits the tokens of its single (ASCII) characters and drops the rest.
            foreach (char c in _extraSymbols[id - Vocabulary.Count])
                if (c < 128 && _asciiTokens[c] >= 0) output.Add(_asciiTokens[c]);
        }
    }
}
