using System.Text;

namespace Llambda.Tokenizers;

/// <summary>
/// Decodes tokens as they are generated. A token may end in the middle of a UTF-8 character (byte-fallback
/// and byte-level vocabularies split emoji and CJK across tokens), so incomplete bytes are held back until
/// the character completes; <see cref="Flush"/> emits what is left (as U+FFFD if it never completed).
/// The concatenated output equals <see cref="Tokenizer.Decode"/> of all the tokens.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _unparseSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];
    private bool _first = true;

    public StreamingDecoder(Tokenizer tokenizer, bool unparseSpecial = false)
    {
        _tokenizer = tokenizer;
        _unparseSpecial = unparseSpecial;
    }

    /// <summary>Adds a token; returns the text completed by it (often empty, never half a character).</summary>
    public string Append(int id)
    {
        int n = Decode(id, flush: false);
        return n == 0 ? string.Empty : new string(_chars, 0, n);
    }

    /// <summary>Adds a token, appending the completed text to <paramref name="output"/> without allocating.</summary>
    public void Append(int id, StringBuilder output) => output.Append(_chars, 0, Decode(id, flush: false));

    /// <summary>Emits held-back bytes (an incomplete character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        int n = Decode(-1, flush: true);
        _first = true;
        return n == 0 ? string.Empty : new string(_chars, 0, n);
    }

    private int Decode(int id, bool flush)
    {
        ReadOnlySpan<byte> piece = default;
        if (id >= 0)
        {
            // Same leading-space rule as Decode: the space SentencePiece prefixed to the first token goes.
            piece = _tokenizer.Piece(id, _unparseSpecial, stripLeadingSpace: _first && _tokenizer.Vocabulary.AddSpacePrefix);
            _first = false;
        }
        int needed = _utf8.GetCharCount(piece, flush: false) + 4;
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        return _utf8.GetChars(piece, _chars, flush);
    }
}
