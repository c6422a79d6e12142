using TokenFlow.Inference;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Tokenization;
using TokenFlow.Server.Api;

namespace TokenFlow.Server.Tests;

/// <summary>Chat rendering on the HTTP side: model templates with the vocabulary's BOS/EOS, refusals as 400, unusable templates refused up front.</summary>
public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation = [new("system", "Be brief."), new("user", "Hi!"), new("assistant", "Hello."), new("user", "Bye?")];

    private static readonly Lazy<ITextTokenizer> LlamaSpm = new(() =>
    {
        using var g = GgufFile.Open(Path.Combine(TestModel.OracleDir, "tokenizers", "ggml-vocab-llama-spm.gguf"));
        return GgufTokenizerLoader.Load(g);
    });

    private static ChatPromptBuilder Builder(string? template) => ChatPromptBuilder.Create(template, LlamaSpm.Value, 4096, "test");

    [Fact]
    public void ChatMlTemplate()
    {
        const string t = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        var s = Builder(t).Render(Conversation, true);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye?<|im_end|>\n<|im_start|>assistant\n", s);
    }

    [Fact]
    public void Llama2TemplateUsesTheVocabularysBosAndEos()
    {
        const string t = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
        var b = Builder(t);
        Assert.True(b.UsesModelTemplate);
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] Bye? [/INST]", b.Render(Conversation, true));
        // The template writes BOS itself, so encoding does not add a second one.
        var ids = b.Encode([new("user", "Hi")], true);
        Assert.Equal(1, ids[0]);
        Assert.NotEqual(1, ids[1]);
        // raise_exception is the client's error (400), not a silent fallback.
        var e = Assert.Throws<ApiException>(() => b.Render([new("user", "a"), new("user", "b")], true));
        Assert.Equal(400, e.Status);
        Assert.Contains("roles must alternate", e.Message);
    }

    [Fact]
    public void Llama3TemplateWithWhitespaceControl()
    {
        const string t = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
        var s = Builder(t).Render([new("user", " Hi ")], true);
        Assert.Equal("<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", s);
        const string ws = "{%- for m in messages -%}\n  {{- m.role }}:{{ m.content -}}\n{%- endfor %}\n{% if add_generation_prompt %}>{% endif %}";
        Assert.Equal("user:x>", Builder(ws).Render([new("user", "x")], true));
    }

    [Fact]
    public void NoTemplateUsesThePlainForm()
    {
        var b = Builder(null);
        Assert.False(b.UsesModelTemplate);
        Assert.Equal("System: Be brief.\nUser: Hi!\nAssistant: Hello.\nUser: Bye?\nAssistant:", b.Render(Conversation, true));
    }

    [Theory]
    [InlineData("{% call foo() %}x{% endcall %}")]
    [InlineData("{% for m in messages %}{{ m.content }}")]
    public void UnusableTemplateIsAStartUpError(string template)
    {
        var e = Assert.Throws<InvalidDataException>(() => Builder(template));
        Assert.Contains("chat template cannot be used", e.Message);
    }
}
