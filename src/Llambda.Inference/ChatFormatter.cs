using Llambda.Templates;
using Llambda.Tokenizers;

namespace Llambda.Inference;

/// <summary>
/// Turns a conversation into the prompt a model was trained on: its own Jinja chat template when the GGUF has one
/// (<c>tokenizer.chat_template</c>), else a fallback chosen by the vocabulary's special tokens. The rendered prompt is
/// tokenized with special tokens recognised, so <c>&lt;|im_start|&gt;</c> is one token, not eleven.
/// </summary>
public sealed class ChatFormatter
{
    private readonly JinjaTemplate _template;
    private readonly Tokenizer _tokenizer;
    private readonly string _bosText;
    private readonly string _eosText;

    private ChatFormatter(string name, JinjaTemplate template, Tokenizer tokenizer, IReadOnlyList<string> stopStrings)
    {
        TemplateName = name;
        _template = template;
        _tokenizer = tokenizer;
        _bosText = tokenizer.Bos is int bos ? tokenizer.TokenText(bos) : "";
        _eosText = tokenizer.Eos is int eos ? tokenizer.TokenText(eos) : "";
        StopStrings = stopStrings;
    }

    /// <summary>"model" for the GGUF's own template, else the fallback family (chatml, llama-2, llama-3, mistral, gemma, phi-3).</summary>
    public string TemplateName { get; }

    /// <summary>Texts that end the assistant's turn; needed when they are plain text rather than one special token.</summary>
    public IReadOnlyList<string> StopStrings { get; }

    public static ChatFormatter ForModel(LoadedModel model) =>
        Create(model.File.Metadata.GetStringOrDefault("tokenizer.chat_template"), model.Tokenizer, model.Config.Architecture);

    /// <summary>A formatter for a given template source (null: choose a fallback for the vocabulary).</summary>
    public static ChatFormatter Create(string? templateSource, Tokenizer tokenizer, string architecture)
    {
        bool Has(string token) => tokenizer.Vocabulary.TokenToId(token) >= 0;
        if (!string.IsNullOrWhiteSpace(templateSource))
        {
            // End-of-turn tokens are special tokens and stop generation on their own; nothing extra to watch.
            return new ChatFormatter("model", JinjaTemplate.Parse(templateSource), tokenizer, []);
        }
        var (name, source, endOfTurn) = FallbackChatTemplates.Choose(Has, architecture);
        var stops = endOfTurn.Where(text => !Has(text)).ToArray();
        return new ChatFormatter(name, JinjaTemplate.Parse(source), tokenizer, stops);
    }

    /// <summary>Renders the conversation. Template errors (raise_exception, bad roles...) throw <see cref="TemplateException"/>.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyList<object?>? tools = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)m.ToTemplateValue()).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = _bosText,
            ["eos_token"] = _eosText,
        };
        if (tools is { Count: > 0 }) variables["tools"] = tools.ToList();
        return _template.Render(variables);
    }

    /// <summary>Tokens for a rendered prompt: special tokens parsed, BOS added when the model wants one and the template did not write it.</summary>
    public int[] Tokenize(string rendered)
    {
        bool templateWroteBos = _bosText.Length > 0 && rendered.StartsWith(_bosText, StringComparison.Ordinal);
        int[] tokens = _tokenizer.Encode(rendered, addSpecial: false, parseSpecial: true);
        if (_tokenizer.AddBos && !templateWroteBos && _tokenizer.Bos is int bos) return [bos, .. tokens];
        return tokens;
    }

    public int[] Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyList<object?>? tools = null) =>
        Tokenize(Render(messages, addGenerationPrompt, tools));
}
