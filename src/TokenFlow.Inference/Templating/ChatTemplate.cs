using System.Text;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Templating;

/// <summary>One chat message as templates see it.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// A model's chat template bound to its tokenizer: renders a conversation with the context
/// Hugging Face passes (<c>messages</c>, <c>add_generation_prompt</c>, <c>bos_token</c>,
/// <c>eos_token</c>) and encodes the result so that control tokens written by the template become
/// single tokens while the same text inside a message stays plain text. Without a template the
/// plain "Role: content" form is used.
/// </summary>
public sealed class ChatTemplate
{
    // Control-token text in message content is swapped for noncharacter markers before rendering
    // and swapped back inside the raw-text fragments after special tokens are cut out.
    private const char Marker = '\uFDD0';
    private const char FirstIndex = '\uFDD1';

    private readonly JinjaTemplate? _template;
    private readonly ITextTokenizer _tokenizer;
    private readonly string[] _controlTexts;

    /// <summary>Parses <paramref name="source"/> (null: the plain template); a template outside the supported subset throws <see cref="JinjaException"/>.</summary>
    public ChatTemplate(string? source, ITextTokenizer tokenizer, string? name = null)
    {
        _tokenizer = tokenizer;
        Source = string.IsNullOrWhiteSpace(source) ? null : source;
        if (Source is not null) _template = JinjaTemplate.Parse(Source);
        Name = name ?? (Source is null ? "plain (Role: content)" : Identify(Source));
        _controlTexts = Enumerable.Range(0, tokenizer.VocabSize)
            .Where(i => tokenizer.KindOf(i) is TokenKind.Control or TokenKind.Unknown)
            .Select(tokenizer.TokenText).Where(t => t.Length > 0).Distinct().OrderByDescending(t => t.Length).ToArray();
        BosToken = tokenizer.BosId >= 0 ? tokenizer.TokenText(tokenizer.BosId) : "";
        EosToken = tokenizer.EosId >= 0 ? tokenizer.TokenText(tokenizer.EosId) : "";
    }

    public string? Source { get; }
    public string Name { get; }
    public bool IsModelTemplate => _template is not null;
    public string BosToken { get; }
    public string EosToken { get; }

    /// <summary>Renders the conversation to text (a template's raise_exception throws <see cref="JinjaRaisedException"/>).</summary>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        if (_template is null) return Plain(messages, addGenerationPrompt);
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
        };
        if (extra is not null) foreach (var (k, v) in extra) vars[k] = v;
        return _template.Render(vars);
    }

    /// <summary>
    /// Renders and encodes: control tokens from the template are parsed, those inside message
    /// content are not. BOS is added only when the model adds one and the template did not write it.
    /// </summary>
    public int[] Encode(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var originals = new List<string>();
        var guarded = messages.Select(m => m with { Content = Guard(m.Content, originals) }).ToList();
        var text = Render(guarded, addGenerationPrompt, extra);
        var addBos = _tokenizer.AddsBos && !(BosToken.Length > 0 && text.StartsWith(BosToken, StringComparison.Ordinal));
        if (_template is null) return _tokenizer.Encode(Unguard(text, originals), addBos);
        if (originals.Count == 0) return _tokenizer.EncodeWithSpecials(text, addBos);
        return EncodeGuarded(text, originals, addBos);
    }

    private string Guard(string content, List<string> originals)
    {
        if (content.IndexOf(Marker) < 0 && !_controlTexts.Any(t => content.Contains(t, StringComparison.Ordinal))) return content;
        var sb = new StringBuilder(content.Length);
        for (var i = 0; i < content.Length;)
        {
            var hit = content[i] == Marker ? Marker.ToString() : _controlTexts.FirstOrDefault(t => string.CompareOrdinal(content, i, t, 0, t.Length) == 0);
            if (hit is null) { sb.Append(content[i++]); continue; }
            sb.Append(Marker).Append((char)(FirstIndex + originals.Count));
            originals.Add(hit);
            i += hit.Length;
        }
        if (originals.Count > 30) throw new ArgumentException("a message contains too many special-token strings");
        return sb.ToString();
    }

    private static string Unguard(string text, List<string> originals)
    {
        if (originals.Count == 0 || text.IndexOf(Marker) < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == Marker && i + 1 < text.Length && text[i + 1] - FirstIndex is var k and >= 0 && k < originals.Count) { sb.Append(originals[k]); i++; }
            else sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>Cuts special tokens out of the rendered text (markers never match one), then tokenizes each piece with the user's text restored.</summary>
    private int[] EncodeGuarded(string text, List<string> originals, bool addBos)
    {
        var ids = new List<int>();
        var start = 0;
        var specials = _controlTexts;
        var pieces = new List<(string Text, bool Special)>();
        for (var i = 0; i < text.Length;)
        {
            var hit = text[i] == Marker ? null : specials.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (hit is null) { i++; continue; }
            if (i > start) pieces.Add((text[start..i], false));
            pieces.Add((hit, true));
            i += hit.Length;
            start = i;
        }
        if (start < text.Length) pieces.Add((text[start..], false));
        var first = true;
        foreach (var (piece, special) in pieces)
        {
            ids.AddRange(special ? _tokenizer.EncodeWithSpecials(piece, addBos && first) : _tokenizer.Encode(Unguard(piece, originals), addBos && first));
            first = false;
        }
        return ids.ToArray();
    }

    public static string Plain(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
            sb.Append(m.Role switch { "system" => "System", "assistant" => "Assistant", "tool" => "Tool", _ => "User" }).Append(": ").Append(m.Content).Append('\n');
        if (addGenerationPrompt) sb.Append("Assistant:");
        return sb.ToString();
    }

    /// <summary>A short name for a template, from the markers it writes (for <c>model info</c> and logs).</summary>
    public static string Identify(string source) => source switch
    {
        _ when source.Contains("<|start_header_id|>") && source.Contains("Cutting Knowledge Date") => "llama-3.1+",
        _ when source.Contains("<|start_header_id|>") => "llama-3",
        _ when source.Contains("<think>") && source.Contains("<|im_start|>") => "qwen3 (ChatML, reasoning)",
        _ when source.Contains("<|im_start|>") => "chatml (qwen2)",
        _ when source.Contains("<｜Assistant｜>") => "deepseek-r1",
        _ when source.Contains("<start_of_turn>") => "gemma",
        _ when source.Contains("<|user|>") && source.Contains("<|end|>") => "phi-3",
        _ when source.Contains("[INST]") && source.Contains("[AVAILABLE_TOOLS]") => "mistral (v3, tools)",
        _ when source.Contains("[INST]") => "llama-2 / mistral [INST]",
        _ => "custom",
    };
}
