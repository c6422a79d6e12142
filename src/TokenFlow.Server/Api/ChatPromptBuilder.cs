using TokenFlow.Inference;
using TokenFlow.Inference.Templating;

namespace TokenFlow.Server.Api;

/// <summary>
/// The HTTP side of chat rendering: turns API messages into prompt tokens through the model's
/// <see cref="ChatTemplate"/> (its own Jinja template, <c>--chat-template</c>, or the plain
/// "Role: content" form for models without one) and maps a template's refusal
/// (<c>raise_exception</c>) to a 400. A template that cannot be parsed fails at construction, so
/// the server refuses to start rather than fall back silently.
/// </summary>
public sealed class ChatPromptBuilder
{
    private readonly ChatTemplate _chat;
    private readonly int _contextLength;

    public ChatPromptBuilder(ChatTemplate chat, int contextLength = int.MaxValue)
    {
        _chat = chat;
        _contextLength = contextLength;
    }

    /// <summary>Parses <paramref name="template"/> for <paramref name="tokenizer"/>; <paramref name="source"/> names it in the error.</summary>
    public static ChatPromptBuilder Create(string? template, ITextTokenizer tokenizer, int contextLength, string source)
    {
        try { return new ChatPromptBuilder(new ChatTemplate(template, tokenizer), contextLength); }
        catch (JinjaException e) { throw new InvalidDataException($"{source}: the chat template cannot be used: {e.Message}"); }
    }

    public bool UsesModelTemplate => _chat.IsModelTemplate;
    public string TemplateName => _chat.Name;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        Guard(() => _chat.Render(Turns(messages), addGenerationPrompt));

    /// <summary>The prompt's token ids: control tokens the template writes are parsed, those in message text are not.</summary>
    public int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        // Cheap bound before rendering: no tokenizer emits fewer tokens than chars/64.
        if (messages.Sum(m => (long)m.Content.Length) > _contextLength * 64L)
            throw ApiException.BadRequest($"This model's maximum context length is {_contextLength} tokens; the messages are far longer.", "messages", "context_length_exceeded");
        return Guard(() => _chat.Encode(Turns(messages), addGenerationPrompt));
    }

    private static T Guard<T>(Func<T> body)
    {
        try { return body(); }
        catch (JinjaRaisedException e) { throw ApiException.BadRequest($"the model's chat template rejected the messages: {e.Message}", "messages"); }
        catch (JinjaException e) { throw ApiException.BadRequest($"the chat template failed on these messages: {e.Message}", "messages"); }
        catch (ArgumentException e) { throw ApiException.BadRequest($"the messages could not be tokenized: {e.Message}", "messages"); }
    }

    private static List<ChatTurn> Turns(IReadOnlyList<ChatMessage> messages) => messages.Select(m => new ChatTurn(m.Role, m.Content)).ToList();

    public static string Simple(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) => ChatTemplate.Plain(Turns(messages), addGenerationPrompt);
}
