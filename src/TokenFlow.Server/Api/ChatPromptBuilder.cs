using System.Text;
using Microsoft.Extensions.Logging;
using TokenFlow.Inference.Templating;

namespace TokenFlow.Server.Api;

/// <summary>
/// Renders chat messages into one prompt. The model's own Jinja template is used when it has one
/// and our Jinja subset can render it; otherwise the simple template:
/// <code>
/// System: {content}\n      (per system message)
/// User: {content}\n        (per user message)
/// Assistant: {content}\n   (per assistant message)
/// Assistant:               (the generation prompt, without a trailing space)
/// </code>
/// The tokenizer adds BOS, so templates render with an empty bos_token.
/// </summary>
public sealed class ChatPromptBuilder
{
    private readonly JinjaTemplate? _template;
    private readonly ILogger? _log;
    private int _warned;

    public ChatPromptBuilder(string? template, ILogger? log = null)
    {
        _log = log;
        if (string.IsNullOrWhiteSpace(template)) return;
        try { _template = JinjaTemplate.Parse(template); }
        catch (JinjaException e) { log?.LogWarning("the model's chat template is outside our Jinja subset ({Message}); using the simple template", e.Message); }
    }

    public bool UsesModelTemplate => _template is not null;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        if (_template is not null)
        {
            try
            {
                var msgs = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList();
                return _template.Render(new Dictionary<string, object?>
                {
                    ["messages"] = msgs,
                    ["add_generation_prompt"] = addGenerationPrompt,
                    ["bos_token"] = "",
                    ["eos_token"] = "",
                });
            }
            catch (JinjaException e)
            {
                if (Interlocked.Exchange(ref _warned, 1) == 0) _log?.LogWarning("chat template failed to render ({Message}); using the simple template", e.Message);
            }
        }
        return Simple(messages, addGenerationPrompt);
    }

    public static string Simple(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
            sb.Append(m.Role switch { "system" => "System", "assistant" => "Assistant", "tool" => "Tool", _ => "User" }).Append(": ").Append(m.Content).Append('\n');
        if (addGenerationPrompt) sb.Append("Assistant:");
        return sb.ToString();
    }
}
