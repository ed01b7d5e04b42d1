using Llambda.Gguf;

namespace Llambda.Tokenizers;

/// <summary>
/// A tokenizer's vocabulary: token texts, scores, types, merges and the special-token ids and flags,
/// resolved the way llama.cpp resolves them (defaults per tokenizer kind, then GGUF metadata, then
/// end-of-generation detection by token text).
/// </summary>
public sealed class Vocabulary
{
    private readonly Dictionary<string, int> _idByText;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idBySpan;
    private readonly TokenType[] _types;
    private readonly HashSet<int> _endOfGeneration = [];
    private readonly HashSet<int> _rstrip = [];
    private int[] _specialTokens = [];

    internal Vocabulary(TokenizerKind kind, string[] tokens, float[]? scores, TokenType[]? types)
    {
        if (tokens.Length == 0) throw new InvalidDataException("The vocabulary has no tokens.");
        if (scores != null && scores.Length != tokens.Length)
            throw new InvalidDataException($"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens.");
        if (types != null && types.Length != tokens.Length)
            throw new InvalidDataException($"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens.");

        Kind = kind;
        Tokens = tokens;
        Scores = scores ?? new float[tokens.Length];
        _types = types ?? Enumerable.Repeat(TokenType.Normal, tokens.Length).ToArray();

        // Later duplicates win, as in llama.cpp's token_to_id map.
        _idByText = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _idByText[tokens[i]] = i;
        _idBySpan = _idByText.GetAlternateLookup<ReadOnlySpan<char>>();

        // Defaults per kind, as llama.cpp sets them before reading the metadata.
        switch (kind)
        {
            case TokenizerKind.SentencePiece:
                Bos = 1; Eos = 2; Unknown = 0;
                AddBos = true; AddSpacePrefix = true;
                break;
            case TokenizerKind.BytePair:
                Bos = 11; Eos = 11;
                break;
            case TokenizerKind.WordPiece:
                Bos = 101; Unknown = 100; Separator = 102; Padding = 0;
                AddBos = true; AddEos = false;
                break;
        }
    }

    public TokenizerKind Kind { get; }

    /// <summary>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>); "default" when absent.</summary>
    public string PreTokenizerName { get; internal set; } = "default";

    public string[] Tokens { get; }
    public float[] Scores { get; }
    public int Count => Tokens.Length;
    public IReadOnlyList<TokenType> Types => _types;

    /// <summary>BPE merges in rank order ("left right"); empty for other kinds.</summary>
    public string[] Merges { get; internal set; } = [];

    public int Bos { get; internal set; } = -1;
    public int Eos { get; internal set; } = -1;
    public int Eot { get; internal set; } = -1;
    public int Eom { get; internal set; } = -1;
    public int Unknown { get; internal set; } = -1;
    public int Padding { get; internal set; } = -1;
    public int Separator { get; internal set; } = -1;

    public bool AddBos { get; internal set; }
    public bool AddEos { get; internal set; }

    /// <summary>SentencePiece: prefix raw text with a space (after BOS or a special token), strip it again on decode.</summary>
    public bool AddSpacePrefix { get; internal set; }

    /// <summary>Llama-3-style BPE: a pre-tokenized word that is itself a token is emitted without merging.</summary>
    public bool IgnoreMerges { get; internal set; }

    /// <summary>Tokens matched in raw text before the main tokenizer runs, longest text first.</summary>
    public ReadOnlySpan<int> SpecialTokens => _specialTokens;

    public TokenType TypeOf(int id) => _types[id];

    public bool IsEndOfGeneration(int id) => _endOfGeneration.Contains(id);

    public IReadOnlyCollection<int> EndOfGenerationTokens => _endOfGeneration;

    /// <summary>Whether spaces after this special token are swallowed when it is matched in text (Phi-3).</summary>
    internal bool StripsSpacesAfter(int id) => _rstrip.Contains(id);

    public int TokenToId(string text) => _idByText.TryGetValue(text, out int id) ? id : -1;

    public int TokenToId(ReadOnlySpan<char> text) => _idBySpan.TryGetValue(text, out int id) ? id : -1;

    internal bool IsValid(int id) => (uint)id < (uint)Tokens.Length;

    /// <summary>
    /// Reads a vocabulary from GGUF metadata (<c>tokenizer.ggml.*</c>), applying llama.cpp's defaults per model.
    /// </summary>
    public static Vocabulary FromGguf(GgufMetadata md)
    {
        string model = md.GetStringOrDefault("tokenizer.ggml.model", null)
            ?? throw new InvalidDataException("The GGUF has no tokenizer (tokenizer.ggml.model is missing).");
        TokenizerKind kind = model switch
        {
            "llama" => TokenizerKind.SentencePiece,
            "gpt2" => TokenizerKind.BytePair,
            "bert" => TokenizerKind.WordPiece,
            _ => throw new NotSupportedException($"Tokenizer model '{model}' is not supported (llama, gpt2 and bert are)."),
        };

        string[] tokens = md.GetStringArray("tokenizer.ggml.tokens");
        float[]? scores = md.Contains("tokenizer.ggml.scores") ? md.GetFloat32Array("tokenizer.ggml.scores") : null;
        TokenType[]? types = null;
        if (md.Contains("tokenizer.ggml.token_type"))
            types = Array.ConvertAll(md.GetInt32Array("tokenizer.ggml.token_type"), t => (TokenType)t);

        var vocab = new Vocabulary(kind, tokens, scores, types);
        if (kind == TokenizerKind.BytePair)
            vocab.Merges = md.Contains("tokenizer.ggml.merges") ? md.GetStringArray("tokenizer.ggml.merges") : [];

        vocab.ApplyPreTokenizerDefaults(md.GetStringOrDefault("tokenizer.ggml.pre", null));

        // Special ids: out-of-range values (e.g. 0xFFFFFFFF for "none") keep the default, like llama.cpp.
        vocab.Bos = ReadId(md, "tokenizer.ggml.bos_token_id", vocab.Bos, tokens.Length);
        vocab.Eos = ReadId(md, "tokenizer.ggml.eos_token_id", vocab.Eos, tokens.Length);
        vocab.Eot = ReadId(md, "tokenizer.ggml.eot_token_id", vocab.Eot, tokens.Length);
        vocab.Eom = ReadId(md, "tokenizer.ggml.eom_token_id", vocab.Eom, tokens.Length);
        vocab.Unknown = ReadId(md, "tokenizer.ggml.unknown_token_id", vocab.Unknown, tokens.Length);
        vocab.Separator = ReadId(md, "tokenizer.ggml.seperator_token_id", vocab.Separator, tokens.Length);
        vocab.Padding = ReadId(md, "tokenizer.ggml.padding_token_id", vocab.Padding, tokens.Length);
        int fimPad = ReadId(md, "tokenizer.ggml.fim_pad_token_id", -1, tokens.Length);
        int fimRep = ReadId(md, "tokenizer.ggml.fim_rep_token_id", -1, tokens.Length);
        int fimSep = ReadId(md, "tokenizer.ggml.fim_sep_token_id", -1, tokens.Length);
        if (kind == TokenizerKind.WordPiece)
            vocab.Bos = ReadId(md, "tokenizer.ggml.cls_token_id", vocab.Bos, tokens.Length);

        vocab.AddBos = md.GetBool("tokenizer.ggml.add_bos_token", vocab.AddBos);
        vocab.AddEos = md.GetBool("tokenizer.ggml.add_eos_token", vocab.AddEos);
        vocab.AddSpacePrefix = md.GetBool("tokenizer.ggml.add_space_prefix", vocab.AddSpacePrefix);

        string name = md.GetStringOrDefault("general.name", null) ?? "";
        vocab.Complete(name, fimPad, fimRep, fimSep);
        return vocab;
    }

    private static int ReadId(GgufMetadata md, string key, int fallback, int count)
    {
        if (!md.Contains(key)) return fallback;
        long id = md.GetInt64(key);
        return id >= 0 && id < count ? (int)id : fallback;
    }

    /// <summary>Flags that follow from the pre-tokenizer name (llama.cpp sets them per pre type).</summary>
    internal void ApplyPreTokenizerDefaults(string? pre)
    {
        PreTokenizerName = string.IsNullOrEmpty(pre) ? "default" : pre;
        if (Kind != TokenizerKind.BytePair) return;
        AddSpacePrefix = false;
        PreTokenizer preTokenizer = PreTokenizers.ForName(PreTokenizerName); // throws for unknown names
        IgnoreMerges = preTokenizer.IgnoreMerges;
        if (preTokenizer.AddBos) AddBos = true;
    }

    /// <summary>
    /// Derives what llama.cpp derives after loading: EOT/FIM/EOG tokens found by text (forced to control type),
    /// the end-of-generation set, per-model strip attributes and the special-token match order.
    /// </summary>
    internal void Complete(string modelName, int fimPad = -1, int fimRep = -1, int fimSep = -1)
    {
        // llama.cpp takes whichever candidate its hash map yields first; here the earlier name in each list wins
        // (so Phi-3 ends turns with <|end|> rather than <|endoftext|>), which is deterministic.
        if (Eot < 0) Eot = FindFirst(["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
            "<｜end▁of▁sentence｜>", "<end_of_utterance>"]);
        if (Eom < 0) Eom = FindFirst(["<|eom_id|>"]);
        if (fimPad < 0) fimPad = FindFirst(["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"]);
        if (fimRep < 0) fimRep = FindFirst(["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]);
        if (fimSep < 0) fimSep = FindFirst(["<|file_sep|>", "<file_sep>"]);

        _endOfGeneration.Clear();
        foreach (int id in (ReadOnlySpan<int>)[fimPad, fimRep, fimSep])
            if (id >= 0) _endOfGeneration.Add(id);
        for (int id = 0; id < Tokens.Length; id++)
        {
            if (TokenToId(Tokens[id]) != id) continue;
            if (Tokens[id] is "<|eot_id|>" or "<|im_end|>" or "<|end|>" or "<|return|>" or "<|call|>" or "<end_of_turn>"
                or "<|endoftext|>" or "<|eom_id|>" or "<EOT>" or "_<EOT>" or "<|end_of_text|>" or "<end_of_utterance>")
            {
                _endOfGeneration.Add(id);
                ForceControl(id);
            }
        }
        foreach (int id in (ReadOnlySpan<int>)[Eos, Eot, Eom])
            if (id >= 0) _endOfGeneration.Add(id);

        // Tokens matched in raw text: control, user-defined and unknown, longest text first.
        var specials = new List<int>();
        for (int id = 0; id < Tokens.Length; id++)
            if (_types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && Tokens[id].Length > 0)
                specials.Add(id);
        _specialTokens = specials.OrderByDescending(id => System.Text.Encoding.UTF8.GetByteCount(Tokens[id])).ThenBy(id => id).ToArray();

        // Phi-3's special tokens swallow the spaces after them (llama.cpp sets this by model name).
        _rstrip.Clear();
        string name = modelName.ToLowerInvariant();
        if (name.Contains("phi-3") || name.Contains("phi3"))
        {
            foreach (int id in _specialTokens) _rstrip.Add(id);
            if (TokenToId("</s>") is >= 0 and int eos) _rstrip.Add(eos);
            foreach (string t in (ReadOnlySpan<string>)["<unk>", "<s>", "<|endoftext|>"])
                if (TokenToId(t) is >= 0 and int id) _rstrip.Remove(id);
        }
    }

    private int FindFirst(ReadOnlySpan<string> texts)
    {
        foreach (string t in texts)
        {
            int id = TokenToId(t);
            if (id < 0) continue;
            ForceControl(id);
            return id;
        }
        return -1;
    }

    /// <summary>llama.cpp treats known end tokens as control tokens even when the file types them otherwise.</summary>
    private void ForceControl(int id) => _types[id] = TokenType.Control;
}
