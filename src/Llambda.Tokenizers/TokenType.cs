namespace Llambda.Tokenizers;

/// <summary>Token types as GGUF stores them in <c>tokenizer.ggml.token_type</c> (the SentencePiece numbering).</summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>Which tokenization algorithm a vocabulary uses (<c>tokenizer.ggml.model</c>).</summary>
public enum TokenizerKind
{
    /// <summary>SentencePiece BPE: score-ordered merges, <c>▁</c> for space, <c>&lt;0xNN&gt;</c> byte fallback (<c>llama</c>).</summary>
    SentencePiece,

    /// <summary>Byte-level BPE: GPT-2 byte↔unicode mapping, regex pre-tokenizer, ranked merges (<c>gpt2</c>).</summary>
    BytePair,

    /// <summary>BERT WordPiece: greedy longest match per word (<c>bert</c>).</summary>
    WordPiece,
}
