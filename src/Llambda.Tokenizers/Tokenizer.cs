using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Llambda.Gguf;

namespace Llambda.Tokenizers;

/// <summary>
/// Text ↔ token ids for one vocabulary, with llama.cpp's behaviour: special tokens are cut out of the text
/// first (control tokens only when asked), the rest goes to the model's algorithm, and BOS/EOS follow the
/// model's flags.
/// </summary>
public abstract class Tokenizer
{
    private readonly byte[] _pieces;      // every token's decoded bytes, back to back
    private readonly int[] _pieceStarts;  // token i's bytes are _pieces[_pieceStarts[i].._pieceStarts[i + 1]]

    protected Tokenizer(Vocabulary vocabulary)
    {
        Vocabulary = vocabulary;
        (_pieces, _pieceStarts) = BuildPieces(vocabulary);
    }

    public Vocabulary Vocabulary { get; }

    public int VocabSize => Vocabulary.Count;
    public int? Bos => Vocabulary.Bos >= 0 ? Vocabulary.Bos : null;
    public int? Eos => Vocabulary.Eos >= 0 ? Vocabulary.Eos : null;
    public int? Eot => Vocabulary.Eot >= 0 ? Vocabulary.Eot : null;

    /// <summary>Whether <c>Encode(..., addSpecial: true)</c> starts with BOS / ends with EOS.</summary>
    public bool AddBos => Vocabulary.AddBos;
    public bool AddEos => Vocabulary.AddEos;

    /// <summary>EOS, EOT, EOM and the tokens llama.cpp ends generation on by their text (<c>&lt;|im_end|&gt;</c>, ...).</summary>
    public bool IsEndOfGeneration(int id) => Vocabulary.IsEndOfGeneration(id);

    /// <summary>The token's text as the vocabulary stores it (byte-level or <c>▁</c>-escaped).</summary>
    public string TokenText(int id) => Vocabulary.Tokens[id];

    /// <summary>The bytes the token stands for; control tokens give their text. No allocation.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _pieces.AsSpan(_pieceStarts[id], _pieceStarts[id + 1] - _pieceStarts[id]);

    public TokenType GetTokenType(int id) => Vocabulary.TypeOf(id);

    // ---- Loading ----

    /// <summary>A tokenizer for a GGUF's vocabulary (<c>tokenizer.ggml.*</c>).</summary>
    public static Tokenizer FromGguf(GgufMetadata metadata) => FromVocabulary(Vocabulary.FromGguf(metadata));

    /// <summary>Opens a GGUF (model or vocab-only) and reads its tokenizer.</summary>
    public static Tokenizer FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        return FromGguf(file.Metadata);
    }

    /// <summary>A tokenizer from a Hugging Face <c>tokenizer.json</c> (BPE models).</summary>
    public static Tokenizer FromHuggingFaceJson(string path) => HuggingFaceTokenizerLoader.Load(path);

    public static Tokenizer FromVocabulary(Vocabulary vocabulary) => vocabulary.Kind switch
    {
        TokenizerKind.SentencePiece => new SentencePieceTokenizer(vocabulary),
        TokenizerKind.BytePair => new BytePairTokenizer(vocabulary, PreTokenizers.ForName(vocabulary.PreTokenizerName)),
        TokenizerKind.WordPiece => new WordPieceTokenizer(vocabulary),
        _ => throw new NotSupportedException(vocabulary.Kind.ToString()),
    };

    // ---- Encoding ----

    /// <summary>
    /// Tokenizes <paramref name="text"/>. <paramref name="addSpecial"/> adds BOS/EOS as the model's flags say;
    /// <paramref name="parseSpecial"/> lets control tokens written in the text (<c>&lt;|im_start|&gt;</c>) become
    /// those tokens; user-defined tokens are always matched, as in llama.cpp and Hugging Face.
    /// </summary>
    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        var output = new List<int>(text.Length / 3 + 4);
        Encode(text, output, addSpecial, parseSpecial);
        return output.ToArray();
    }

    /// <summary>Tokenizes into <paramref name="output"/> (appending).</summary>
    public void Encode(string text, List<int> output, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        Vocabulary v = Vocabulary;
        if (addSpecial && v.AddBos && v.Bos >= 0) output.Add(v.Bos);

        bool afterSpecial = true; // SentencePiece prefixes a space to text at the start or after a special token
        foreach (Fragment f in Partition(text, parseSpecial))
        {
            if (f.Token >= 0)
            {
                output.Add(f.Token);
                afterSpecial = true;
            }
            else
            {
                EncodeText(text, f.Start, f.Length, afterSpecial, output);
                afterSpecial = false;
            }
        }

        if (addSpecial)
        {
            if (v.AddEos && v.Eos >= 0) output.Add(v.Eos);
            if (v.Kind == TokenizerKind.WordPiece && v.Separator >= 0) output.Add(v.Separator);
        }
    }

    /// <summary>Tokenizes a piece of text that holds no special token.</summary>
    protected abstract void EncodeText(string text, int start, int length, bool afterSpecial, List<int> output);

    /// <summary>A run of raw text (Token = -1) or a special token found in it.</summary>
    protected readonly record struct Fragment(int Token, int Start, int Length);

    /// <summary>
    /// Cuts special tokens out of the text, longest token text first, every occurrence, left to right,
    /// like llama.cpp's <c>tokenizer_st_partition</c>.
    /// </summary>
    protected List<Fragment> Partition(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment> { new(-1, 0, text.Length) };
        if (text.Length == 0) return [];
        var next = new List<Fragment>();
        Vocabulary v = Vocabulary;
        foreach (int id in v.SpecialTokens)
        {
            TokenType type = v.TypeOf(id);
            if (!parseSpecial && type is not TokenType.UserDefined) continue;
            string special = v.Tokens[id];
            if (special.Length > text.Length) continue;
            if (text.Contains(special, StringComparison.Ordinal) == false) continue;

            next.Clear();
            foreach (Fragment f in CollectionsMarshal.AsSpan(fragments))
            {
                if (f.Token >= 0) { next.Add(f); continue; }
                int start = f.Start, end = f.Start + f.Length;
                while (start < end)
                {
                    int at = text.AsSpan(start, end - start).IndexOf(special, StringComparison.Ordinal);
                    if (at < 0) break;
                    at += start;
                    if (at > start) next.Add(new Fragment(-1, start, at - start));
                    next.Add(new Fragment(id, at, special.Length));
                    start = at + special.Length;
                    if (v.StripsSpacesAfter(id))
                        while (start < end && IsCSpace(text[start])) start++;
                }
                if (start < end) next.Add(new Fragment(-1, start, end - start));
            }
            (fragments, next) = (next, fragments);
        }
        return fragments;
    }

    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    // ---- Decoding ----

    /// <summary>
    /// Token ids to text, like llama.cpp's <c>detokenize</c>: control and unknown tokens are left out unless
    /// <paramref name="unparseSpecial"/>; with <paramref name="removeSpecial"/> a leading BOS / trailing EOS that
    /// encoding would add is dropped; SentencePiece drops the space it prefixed to the first token.
    /// Bytes that are not valid UTF-8 become U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        byte[]? rented = null;
        Span<byte> buffer = stackalloc byte[512];
        int length = 0;
        bool stripSpace = StartDecode(ref ids, removeSpecial);
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> piece = Piece(id, unparseSpecial, stripSpace);
            stripSpace = false;
            if (length + piece.Length > buffer.Length)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + piece.Length));
                buffer[..length].CopyTo(bigger);
                if (rented != null) ArrayPool<byte>.Shared.Return(rented);
                buffer = rented = bigger;
            }
            piece.CopyTo(buffer[length..]);
            length += piece.Length;
        }
        string text = Encoding.UTF8.GetString(buffer[..length]);
        if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        return text;
    }

    /// <summary>Decodes to raw bytes (no UTF-8 validation), with <see cref="Decode"/>'s rules.</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        var bytes = new List<byte>();
        bool stripSpace = StartDecode(ref ids, removeSpecial);
        foreach (int id in ids)
        {
            bytes.AddRange(Piece(id, unparseSpecial, stripSpace));
            stripSpace = false;
        }
        return bytes.ToArray();
    }

    /// <summary>A decoder for tokens arriving one at a time; it never emits half a UTF-8 character.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool unparseSpecial = false) => new(this, unparseSpecial);

    /// <summary>Applies llama.cpp's BOS/EOS removal; returns whether the first piece loses a leading space.</summary>
    private bool StartDecode(ref ReadOnlySpan<int> ids, bool removeSpecial)
    {
        Vocabulary v = Vocabulary;
        bool stripSpace = v.AddSpacePrefix;
        if (removeSpecial && v.AddBos && ids.Length > 0 && ids[0] == v.Bos)
        {
            stripSpace = false;
            ids = ids[1..];
        }
        if (removeSpecial && v.AddEos && ids.Length > 0 && ids[^1] == v.Eos) ids = ids[..^1];
        return stripSpace;
    }

    /// <summary>The bytes a token contributes to decoded text (llama.cpp's <c>token_to_piece</c>).</summary>
    internal ReadOnlySpan<byte> Piece(int id, bool unparseSpecial, bool stripLeadingSpace)
    {
        if (!Vocabulary.IsValid(id)) throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary (0..{VocabSize - 1}).");
        if (!unparseSpecial && Vocabulary.TypeOf(id) is TokenType.Control or TokenType.Unknown) return default;
        ReadOnlySpan<byte> piece = TokenBytes(id);
        if (stripLeadingSpace && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        return piece;
    }

    private static (byte[], int[]) BuildPieces(Vocabulary v)
    {
        var starts = new int[v.Count + 1];
        var bytes = new List<byte>(v.Count * 6);
        for (int id = 0; id < v.Count; id++)
        {
            starts[id] = bytes.Count;
            string text = v.Tokens[id];
            switch (v.TypeOf(id))
            {
                case TokenType.Control or TokenType.Unknown or TokenType.UserDefined:
                    bytes.AddRange(Encoding.UTF8.GetBytes(text));
                    break;
                case TokenType.Normal when v.Kind == TokenizerKind.BytePair:
                    bytes.AddRange(ByteLevel.Decode(text));
                    break;
                case TokenType.Normal:
                    bytes.AddRange(Encoding.UTF8.GetBytes(text.Replace('\u2581', ' ')));
                    break;
                case TokenType.Byte when v.Kind != TokenizerKind.BytePair && TryParseByteToken(text, out byte b):
                    bytes.Add(b);
                    break;
                default:
                    break; // unused and undefined tokens print nothing, as in llama.cpp
            }
        }
        starts[v.Count] = bytes.Count;
        return (bytes.ToArray(), starts);
    }

    /// <summary>Parses SentencePiece's byte tokens, <c>&lt;0xNN&gt;</c>.</summary>
    internal static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
