namespace Llambda.Inference;

/// <summary>
/// Prompt formats for models whose GGUF carries no <c>tokenizer.chat_template</c>, chosen by the special tokens the
/// vocabulary has. Written as Jinja so one renderer serves both: the model's own template and these.
/// </summary>
internal static class FallbackChatTemplates
{
    public const string ChatMl =
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    public const string Llama2 =
        "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set rest = messages[1:] %}" +
        "{% else %}{% set system = none %}{% set rest = messages %}{% endif %}" +
        "{% for m in rest %}{% if m['role'] == 'user' %}" +
        "{{ bos_token + '[INST] ' }}{% if loop.first and system %}{{ '<<SYS>>\n' + system + '\n<</SYS>>\n\n' }}{% endif %}{{ m['content'] + ' [/INST]' }}" +
        "{% elif m['role'] == 'assistant' %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}";

    public const string Llama3 =
        "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    public const string Mistral =
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}{{ '[INST] ' + m['content'] + ' [/INST]' }}" +
        "{% elif m['role'] == 'assistant' %}{{ m['content'] + eos_token }}{% elif m['role'] == 'system' %}{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endif %}{% endfor %}";

    public const string Gemma =
        "{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else 'user' %}" +
        "{{ '<start_of_turn>' + role + '\n' + m['content'] + '<end_of_turn>\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}";

    public const string Phi3 =
        "{% for m in messages %}{{ '<|' + m['role'] + '|>\n' + m['content'] + '<|end|>\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}";

    /// <summary>The family name, its template, and the text that ends a turn (a stop string when it is not one token).</summary>
    public static (string Name, string Source, string[] EndOfTurn) Choose(Func<string, bool> vocabularyHas, string architecture)
    {
        if (vocabularyHas("<|im_start|>")) return ("chatml", ChatMl, ["<|im_end|>"]);
        if (vocabularyHas("<|start_header_id|>")) return ("llama-3", Llama3, ["<|eot_id|>"]);
        if (vocabularyHas("<start_of_turn>")) return ("gemma", Gemma, ["<end_of_turn>"]);
        if (vocabularyHas("<|assistant|>") && vocabularyHas("<|end|>")) return ("phi-3", Phi3, ["<|end|>"]);
        if (vocabularyHas("[INST]")) return ("mistral", Mistral, ["[INST]"]);
        if (architecture == "llama" && vocabularyHas("<s>")) return ("llama-2", Llama2, ["[INST]"]);
        return ("chatml", ChatMl, ["<|im_end|>", "<|im_start|>"]);
    }
}
