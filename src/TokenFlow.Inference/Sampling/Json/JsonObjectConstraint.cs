namespace TokenFlow.Inference.Sampling.Json;

/// <summary>
/// response_format json_object: only tokens that keep the output a prefix of a JSON object are
/// allowed, stop tokens only once the object is complete, and a token is refused when what it
/// leaves could no longer be closed within the remaining budget (one byte per token, which the
/// byte-fallback pieces guarantee). So the text always parses unless a client's stop string cuts it.
/// </summary>
public sealed class JsonObjectConstraint(JsonVocabulary vocab, IReadOnlySet<int> stopTokens) : ITokenConstraint
{
    private JsonPrefix _state;
    private bool[] _ok = [];

    public bool IsDone => _state.IsDone;

    public void Mask(Span<float> logits, int remaining)
    {
        if (_ok.Length < logits.Length) _ok = new bool[logits.Length];
        // Nothing fits the budget (max_tokens too small to close): keep the output a valid prefix at least.
        if (Select(logits, remaining, budget: true) == 0 && Select(logits, remaining, budget: false) == 0)
            foreach (var t in stopTokens) if ((uint)t < (uint)logits.Length) { _ok[t] = true; logits[t] = 0; }
        for (var t = 0; t < logits.Length; t++) if (!_ok[t]) logits[t] = float.NegativeInfinity;
    }

    private int Select(ReadOnlySpan<float> logits, int remaining, bool budget)
    {
        var allowed = 0;
        for (var t = 0; t < logits.Length; t++)
        {
            _ok[t] = !float.IsNegativeInfinity(logits[t]) && Allows(t, remaining, budget);
            if (_ok[t]) allowed++;
        }
        return allowed;
    }

    private bool Allows(int token, int remaining, bool budget)
    {
        if (stopTokens.Contains(token)) return _state.IsDone;
        var bytes = vocab.Bytes(token);
        if (bytes.Length == 0 || _state.IsDone) return false;
        var next = _state;
        if (!next.Feed(bytes)) return false;
        return !budget || next.IsDone || next.ClosingLength() <= remaining - 1;
    }

    public void Accept(int token)
    {
        if (stopTokens.Contains(token) || _state.IsDone) return;
        var next = _state;
        if (next.Feed(vocab.Bytes(token))) _state = next;
    }
}
