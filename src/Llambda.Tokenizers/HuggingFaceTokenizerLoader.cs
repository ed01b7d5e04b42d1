using System.Text.Json;

namespace Llambda.Tokenizers;

/// <summary>
/// Builds a byte-level BPE tokenizer from a Hugging Face <c>tokenizer.json</c>: the model's vocab and merges,
/// added tokens (special ones become control tokens, the rest user-defined), and the pre-tokenizer chain
/// (<c>Split</c>, <c>Digits</c>, <c>ByteLevel</c>) turned into the same regex stages the GGUF path uses.
/// BOS/EOS ids come from <c>config.json</c> or <c>tokenizer_config.json</c> beside the file when present,
/// and whether to add them from the <c>TemplateProcessing</c> post-processor.
/// </summary>
public static class HuggingFaceTokenizerLoader
{
    // The contractions group as tokenizer.json files write it; .NET folds (?i) more widely (see PreTokenizers).
    private const string CaseInsensitiveContractions = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";

    public static Tokenizer Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = doc.RootElement;
        JsonElement model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
        if (type != "BPE") throw new NotSupportedException($"tokenizer.json model type '{type}' is not supported (BPE is).");

        // Token table: model vocab plus added tokens, indexed by id.
        var byId = new SortedDictionary<int, string>();
        foreach (JsonProperty p in model.GetProperty("vocab").EnumerateObject()) byId[p.Value.GetInt32()] = p.Name;
        var addedTypes = new Dictionary<int, TokenType>();
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement a in added.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                byId[id] = a.GetProperty("content").GetString()!;
                bool special = a.TryGetProperty("special", out var s) && s.GetBoolean();
                addedTypes[id] = special ? TokenType.Control : TokenType.UserDefined;
            }
        }
        int count = byId.Count == 0 ? 0 : byId.Keys.Max() + 1;
        var tokens = new string[count];
        var types = new TokenType[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = byId.TryGetValue(i, out string? text) ? text : $"[PAD{i}]";
            types[i] = addedTypes.TryGetValue(i, out TokenType tt) ? tt : byId.ContainsKey(i) ? TokenType.Normal : TokenType.Unused;
        }

        var merges = new List<string>();
        foreach (JsonElement m in model.GetProperty("merges").EnumerateArray())
        {
            // Older files write "a b", newer ones ["a", "b"].
            merges.Add(m.ValueKind == JsonValueKind.Array ? m[0].GetString() + " " + m[1].GetString() : m.GetString()!);
        }

        var vocab = new Vocabulary(TokenizerKind.BytePair, tokens, null, types)
        {
            Merges = merges.ToArray(),
            PreTokenizerName = "huggingface",
            Bos = -1,
            Eos = -1,
            IgnoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True,
        };

        var patterns = new List<string>();
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
            CollectPatterns(pre, patterns);
        if (patterns.Count == 0) throw new NotSupportedException("tokenizer.json has no pre-tokenizer that splits words.");
        PreTokenizer preTokenizer = PreTokenizers.FromPatterns("huggingface", patterns, vocab.IgnoreMerges);

        ReadSpecialIds(path, root, vocab);
        vocab.Complete("");
        return new BytePairTokenizer(vocab, preTokenizer);
    }

    private static void CollectPatterns(JsonElement pre, List<string> patterns)
    {
        string type = pre.GetProperty("type").GetString()!;
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement p in pre.GetProperty("pretokenizers").EnumerateArray()) CollectPatterns(p, patterns);
                break;
            case "ByteLevel":
                if (pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True)
                    throw new NotSupportedException("ByteLevel pre-tokenizer with add_prefix_space is not supported.");
                if (!pre.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False)
                    patterns.Add(PreTokenizers.Gpt2RegexPattern);
                break;
            case "Digits":
                bool individual = pre.TryGetProperty("individual_digits", out var ind) && ind.ValueKind == JsonValueKind.True;
                patterns.Add(individual ? @"\p{N}" : @"\p{N}+");
                break;
            case "Split":
                JsonElement pattern = pre.GetProperty("pattern");
                string? regex = pattern.TryGetProperty("Regex", out var r) ? r.GetString()
                    : pattern.TryGetProperty("String", out var s) ? System.Text.RegularExpressions.Regex.Escape(s.GetString()!) : null;
                string behavior = pre.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                bool invert = pre.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (regex == null || invert || behavior != "Isolated")
                    throw new NotSupportedException($"Split pre-tokenizer (behavior {behavior}, invert {invert}) is not supported.");
                patterns.Add(ToDotNet(regex));
                break;
            default:
                throw new NotSupportedException($"Pre-tokenizer '{type}' is not supported.");
        }
    }

    /// <summary>Rewrites Oniguruma/Rust regex syntax that .NET reads differently.</summary>
    private static string ToDotNet(string regex)
    {
        regex = regex.Replace(CaseInsensitiveContractions, "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])", StringComparison.Ordinal);
        // .NET has no possessive quantifiers (a++, a*+, a?+); rewriting them as atomic groups needs a parser,
        // and BPE tokenizer.json patterns rarely use them, so refuse clearly instead of matching differently.
        if (regex.Contains("++", StringComparison.Ordinal) || regex.Contains("*+", StringComparison.Ordinal) || regex.Contains("?+", StringComparison.Ordinal))
            throw new NotSupportedException("Possessive quantifiers in a Split pattern are not supported: " + regex);
        return regex;
    }

    private static void ReadSpecialIds(string path, JsonElement root, Vocabulary vocab)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string config = Path.Combine(dir, "config.json");
        if (File.Exists(config))
        {
            using var cfg = JsonDocument.Parse(File.ReadAllBytes(config));
            if (cfg.RootElement.TryGetProperty("bos_token_id", out var bos) && bos.ValueKind == JsonValueKind.Number) vocab.Bos = bos.GetInt32();
            if (cfg.RootElement.TryGetProperty("eos_token_id", out var eos) && eos.ValueKind == JsonValueKind.Number) vocab.Eos = eos.GetInt32();
        }
        string tokenizerConfig = Path.Combine(dir, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var tc = JsonDocument.Parse(File.ReadAllBytes(tokenizerConfig));
            int Id(string key) => tc.RootElement.TryGetProperty(key, out var v)
                ? vocab.TokenToId(v.ValueKind == JsonValueKind.Object ? v.GetProperty("content").GetString()! : v.GetString() ?? "") : -1;
            if (vocab.Bos < 0) vocab.Bos = Id("bos_token");
            if (vocab.Eos < 0) vocab.Eos = Id("eos_token");
            if (tc.RootElement.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False) vocab.AddBos = ab.GetBoolean();
            if (tc.RootElement.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False) vocab.AddEos = ae.GetBoolean();
        }

        // TemplateProcessing: a special token before/after $A means BOS/EOS are added.
        if (root.TryGetProperty("post_processor", out var pp) && pp.ValueKind == JsonValueKind.Object
            && pp.GetProperty("type").GetString() == "TemplateProcessing" && pp.TryGetProperty("single", out var single))
        {
            var items = single.EnumerateArray().ToList();
            int seq = items.FindIndex(i => i.TryGetProperty("Sequence", out _));
            for (int k = 0; k < items.Count; k++)
            {
                if (!items[k].TryGetProperty("SpecialToken", out var st)) continue;
                int id = vocab.TokenToId(st.GetProperty("id").GetString()!);
                if (id < 0) continue;
                if (k < seq) { vocab.Bos = id; vocab.AddBos = true; }
                else { vocab.Eos = id; vocab.AddEos = true; }
            }
        }
        if (!vocab.IsValid(vocab.Bos)) vocab.Bos = -1;
        if (!vocab.IsValid(vocab.Eos)) vocab.Eos = -1;
    }
}
