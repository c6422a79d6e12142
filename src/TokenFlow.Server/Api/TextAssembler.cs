using System.Text;
using TokenFlow.Inference;

namespace TokenFlow.Server.Api;

/// <summary>
/// Turns one stream's tokens into text: incremental decoding (no split UTF-8 characters), special
/// tokens skipped, and stop strings cut out, holding back just enough text that a stop string
/// spanning tokens is never half-sent.
/// </summary>
public sealed class TextAssembler
{
    private readonly IStreamingDecoder _decoder;
    private readonly IReadOnlyList<string> _stops;
    private readonly HashSet<int> _special;
    private readonly int _holdBack;
    private readonly StringBuilder _pending = new();

    public TextAssembler(ITextTokenizer tokenizer, IReadOnlyList<string> stops, IEnumerable<int> specialTokens, IReadOnlyList<int>? prompt = null)
    {
        _decoder = tokenizer.CreateStreamingDecoder();
        // Prime with the prompt so the first output piece gets the right leading-space handling (e.g. right after BOS).
        if (prompt is not null) foreach (var t in prompt) _decoder.Push(t);
        _stops = stops;
        _special = [.. specialTokens];
        _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    }

    /// <summary>True once a stop string matched; nothing more is released.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Feeds one token; returns the text that can be sent now.</summary>
    public string Push(int token)
    {
        if (Stopped || _special.Contains(token)) return "";
        return Release(_decoder.Push(token), final: false);
    }

    /// <summary>Ends the stream; returns whatever text is left.</summary>
    public string Finish() => Stopped ? "" : Release(_decoder.Flush(), final: true);

    private string Release(string text, bool final)
    {
        if (_stops.Count == 0) return text;
        _pending.Append(text);
        var s = _pending.ToString();
        var cut = -1;
        foreach (var stop in _stops)
        {
            var at = s.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return s[..cut];
        }
        var keep = final ? 0 : Math.Min(_holdBack, s.Length);
        // Never split a surrogate pair at the hold-back boundary.
        if (keep > 0 && keep < s.Length && char.IsLowSurrogate(s[s.Length - keep])) keep++;
        _pending.Clear();
        _pending.Append(s, s.Length - keep, keep);
        return s[..^keep];
    }
}
