namespace Llambda.Tokenizers;

/// <summary>
/// GPT-2's reversible byte↔unicode mapping. Byte-level BPE vocabularies store every token as a string of
/// printable stand-ins, one character per byte: printable Latin-1 bytes stand for themselves and the rest
/// (control bytes, space, 0x7F-0xA0, 0xAD) are shifted to U+0100 and up, so that "Ġ" (U+0120) means a space.
/// </summary>
public static class ByteLevel
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>The stand-in character for a byte.</summary>
    public static char ToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a stand-in character means, or -1 when the character is not a stand-in.</summary>
    public static int ToByte(char c) => c < s_charToByte.Length ? s_charToByte[c] : -1;

    /// <summary>Encodes bytes as their stand-in characters.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (int i = 0; i < b.Length; i++) chars[i] = s_byteToChar[b[i]];
        });

    /// <summary>
    /// Decodes a byte-level token text back to bytes. Characters that are not stand-ins (which a well-formed
    /// vocabulary does not have) are kept as their UTF-8 encoding, as llama.cpp does.
    /// </summary>
    public static byte[] Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            int b = ToByte(text[i]);
            if (b >= 0) { bytes.Add((byte)b); continue; }
            int n = char.IsSurrogatePair(text, i)
                ? System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i++, 2), utf8)
                : System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i, 1), utf8);
            for (int k = 0; k < n; k++) bytes.Add(utf8[k]);
        }
        return bytes.ToArray();
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[324];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[s_byteToChar[b]] = (short)b;
        return inverse;
    }
}
