using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Templates;
using Llambda.Testing;
using Llambda.Tokenizers;

namespace Llambda.Inference.Tests;

public class ChatFormatterTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "Be brief."),
        new("user", "Hi!"),
        new("assistant", "Hello."),
        new("user", "Tell me a story."),
    ];

    [Fact]
    public void Model_template_renders_like_jinja2_and_special_tokens_become_single_tokens()
    {
        // SmolLM2's real template and tokenizer: <|im_start|> must be one token, not its characters.
        string template = File.ReadAllText(SharedData.Reference("chat-templates", "HuggingFaceTB-SmolLM2-135M-Instruct.jinja"));
        var tokenizer = Tokenizer.FromHuggingFaceJson(SharedData.Reference("hf-tokenizer", "smollm2-135m-instruct", "tokenizer.json"));
        var formatter = ChatFormatter.Create(template, tokenizer, "llama");
        Assert.Equal("model", formatter.TemplateName);

        string rendered = formatter.Render([new ChatMessage("user", "Hello!")]);
        Assert.Equal("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
                     "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", rendered);

        int[] tokens = formatter.Tokenize(rendered);
        int imStart = tokenizer.Vocabulary.TokenToId("<|im_start|>");
        Assert.True(imStart >= 0);
        Assert.Equal(imStart, tokens[0]);
        Assert.Equal(3, tokens.Count(t => t == imStart));
        Assert.Equal(rendered, tokenizer.Decode(tokens, unparseSpecial: true));
    }

    [Fact]
    public void Template_errors_surface_as_template_exceptions()
    {
        var tokenizer = Tokenizer.FromGguf(SharedData.Model("stories260K.gguf"));
        var formatter = ChatFormatter.Create("{{ raise_exception('Only user and assistant roles are supported!') }}", tokenizer, "llama");
        var e = Assert.Throws<TemplateException>(() => formatter.Render(Conversation));
        Assert.Contains("Only user and assistant roles", e.Message);
    }

    [Fact]
    public void Fallback_for_a_plain_spm_llama_is_llama2_with_one_bos()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        var formatter = ChatFormatter.Create(null, tokenizer, "llama");
        Assert.Equal("llama-2", formatter.TemplateName);
        string rendered = formatter.Render(Conversation);
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] Tell me a story. [/INST]", rendered);
        int[] tokens = formatter.Tokenize(rendered);
        Assert.Equal(1, tokens[0]);
        Assert.NotEqual(1, tokens[1]); // the template wrote BOS; it is not added twice
        Assert.Equal(2, tokens.Count(t => t == 1));
    }

    [Fact]
    public void Fallback_for_a_gpt2_vocabulary_is_chatml_with_text_stop_strings()
    {
        using var file = GgufFile.Open(SharedData.Model("synth-qwen2-gpt2-Q8_0.gguf"));
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        var formatter = ChatFormatter.Create(null, tokenizer, "qwen2");
        Assert.Equal("chatml", formatter.TemplateName);
        Assert.Contains("<|im_end|>", formatter.StopStrings); // not a token in GPT-2's vocabulary
        Assert.Equal("<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", formatter.Render([new ChatMessage("user", "Hi!")]));
    }

    [Fact]
    public void Extra_message_fields_reach_the_template()
    {
        var tokenizer = Tokenizer.FromGguf(SharedData.Model("stories260K.gguf"));
        var formatter = ChatFormatter.Create("{% for m in messages %}{{ m.role }}:{{ m.name }}:{{ m.content }};{% endfor %}", tokenizer, "llama");
        var message = new ChatMessage("tool", "42") { Extra = new Dictionary<string, object?> { ["name"] = "calc" } };
        Assert.Equal("tool:calc:42;", formatter.Render([message], addGenerationPrompt: false));
    }
}
