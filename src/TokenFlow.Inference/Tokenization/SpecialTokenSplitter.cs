namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// Cuts special-token text out of a string before BPE, as llama.cpp's <c>tokenizer_st_partition</c>
/// does: tokens are tried longest first, each splitting every remaining raw fragment at all its
/// occurrences. User-defined tokens are always cut out; control (and unknown) tokens only when the
/// caller parses specials, i.e. for template text and never for user text. Tokens marked rstrip
/// (llama.cpp's Phi-3 rule) swallow the ASCII whitespace that follows them.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly record struct Entry(string Text, int Id, bool Control, bool RStrip);

    /// <summary>One piece of the input: raw text [Start, Start+Length) when Token is −1, else the token.</summary>
    public readonly record struct Fragment(int Start, int Length, int Token);

    private readonly Entry[] _entries;

    public SpecialTokenSplitter(IEnumerable<(string Text, int Id, TokenKind Kind, bool RStrip)> specials)
    {
        _entries = specials
            .Where(s => s.Text.Length > 0 && s.Kind is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown)
            .Select(s => new Entry(s.Text, s.Id, s.Kind != TokenKind.UserDefined, s.RStrip))
            .OrderByDescending(e => System.Text.Encoding.UTF8.GetByteCount(e.Text))
            .ToArray();
    }

    public int Count => _entries.Length;

    public List<Fragment> Split(string text, bool parseControl)
    {
        var frags = new List<Fragment>(4) { new(0, text.Length, -1) };
        if (text.Length == 0) { frags.Clear(); return frags; }
        foreach (var e in _entries)
        {
            if (e.Control && !parseControl) continue;
            if (!text.Contains(e.Text, StringComparison.Ordinal)) continue;
            for (var f = 0; f < frags.Count; f++)
            {
                var fr = frags[f];
                if (fr.Token >= 0) continue;
                var at = text.IndexOf(e.Text, fr.Start, fr.Length, StringComparison.Ordinal);
                if (at < 0) continue;
                var end = fr.Start + fr.Length;
                var rest = at + e.Text.Length;
                if (e.RStrip) while (rest < end && IsSpace(text[rest])) rest++;
                frags.RemoveAt(f);
                var insert = f;
                if (at > fr.Start) frags.Insert(insert++, new(fr.Start, at - fr.Start, -1));
                frags.Insert(insert++, new(at, e.Text.Length, e.Id));
                if (rest < end) frags.Insert(insert, new(rest, end - rest, -1));
                f = insert - 1; // the remainder (if any) is examined next
            }
        }
        return frags;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
