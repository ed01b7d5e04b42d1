using System.Diagnostics;
using System.Text;

namespace Llambda.Tokenizers;

/// <summary>Encoding throughput on mixed text (prose, code, numbers, CJK, emoji), for the CLI to print.</summary>
public static class TokenizerBenchmark
{
    public readonly record struct Result(int Bytes, int Tokens, TimeSpan EncodeTime, TimeSpan DecodeTime)
    {
        public double TokensPerSecond => Tokens / EncodeTime.TotalSeconds;
        public double MegabytesPerSecond => Bytes / 1e6 / EncodeTime.TotalSeconds;
        public override string ToString() =>
            $"{Bytes / 1e6:F1} MB -> {Tokens:N0} tokens: encode {EncodeTime.TotalMilliseconds:F0} ms ({TokensPerSecond:N0} tokens/s, {MegabytesPerSecond:F2} MB/s), decode {DecodeTime.TotalMilliseconds:F0} ms";
    }

    /// <summary>Tokenizes <paramref name="megabytes"/> MB of generated mixed text once (after a warm-up) and decodes it back.</summary>
    public static Result Run(Tokenizer tokenizer, double megabytes = 1.0, int seed = 1)
    {
        string text = MixedText((int)(megabytes * 1_000_000), seed);
        tokenizer.Encode(text[..Math.Min(text.Length, 20_000)], addSpecial: false); // warm-up: JIT, regexes

        var sw = Stopwatch.StartNew();
        int[] ids = tokenizer.Encode(text, addSpecial: false);
        TimeSpan encode = sw.Elapsed;
        sw.Restart();
        tokenizer.Decode(ids);
        TimeSpan decode = sw.Elapsed;
        return new Result(Encoding.UTF8.GetByteCount(text), ids.Length, encode, decode);
    }

    /// <summary>Deterministic text of about <paramref name="bytes"/> UTF-8 bytes drawn from varied snippets.</summary>
    public static string MixedText(int bytes, int seed = 1)
    {
        string[] snippets =
        [
            "The quick brown fox jumps over the lazy dog. ",
            "Once upon a time, there was a little girl named Lily who loved to play outside in the sunshine. ",
            "    for (int i = 0; i < n; ++i) { sum += values[i] * 2; }\n",
            "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]\n\n",
            "Numbers: 3.14159, 2718281828, 1,000,000 and 42% of $19.99. ",
            "日本語の文章を書きます。中文也可以。한국어 문장입니다. ",
            "Ünïcödé façade naïve café — “quotes” ‘single’ … ",
            "emoji 🦙🚀✅😶‍🌫️ ",
            "I've been 'told he's there, 'RE you sure? ",
            "\n\n\t  indented\r\n",
            "https://example.com/path?query=value&x=1 <b>html</b> ",
        ];
        var random = new Random(seed);
        var sb = new StringBuilder(bytes + 128);
        int count = 0;
        while (count < bytes)
        {
            string s = snippets[random.Next(snippets.Length)];
            // Vary words so the per-word cache sees realistic (not perfect) reuse.
            if (random.Next(4) == 0) s = s.Replace("little", "lit" + random.Next(1000)).Replace("42", random.Next(100000).ToString());
            sb.Append(s);
            count += Encoding.UTF8.GetByteCount(s);
        }
        return sb.ToString();
    }
}
