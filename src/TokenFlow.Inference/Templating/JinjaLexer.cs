namespace TokenFlow.Inference.Templating;

/// <summary>
/// Cuts a template into text, <c>{{ expression }}</c> and <c>{% statement %}</c> segments, applying
/// whitespace control the way Hugging Face configures Jinja for chat templates: <c>-</c> markers,
/// <c>trim_blocks</c> (the newline after a block or comment tag goes) and <c>lstrip_blocks</c>
/// (spaces and tabs before a block or comment tag on its line go).
/// </summary>
internal static class JinjaLexer
{
    public sealed record Segment(char Kind, string Text); // 'T' text, 'E' expression, 'S' statement

    public static List<Segment> Lex(string s)
    {
        var list = new List<Segment>();
        var i = 0;
        var stripNext = false;
        var trimNewline = false;
        while (i < s.Length)
        {
            var open = IndexOfTag(s, i);
            var text = open < 0 ? s[i..] : s[i..open];
            if (stripNext) text = text.TrimStart();
            else if (trimNewline && text.StartsWith('\n')) text = text[1..];
            else if (trimNewline && text.StartsWith("\r\n", StringComparison.Ordinal)) text = text[2..];
            stripNext = trimNewline = false;
            if (open < 0) { if (text.Length > 0) list.Add(new Segment('T', text)); break; }
            var kind = s[open + 1];
            var end = kind == '#' ? s.IndexOf("#}", open + 2, StringComparison.Ordinal) : FindClose(s, open + 2, kind == '{' ? "}}" : "%}");
            if (end < 0) throw new JinjaException($"unterminated tag at offset {open}");
            var inner = s[(open + 2)..end];
            var lstrip = inner.StartsWith('-');
            var rstrip = inner.EndsWith('-');
            var plus = inner.StartsWith('+');
            if (lstrip) text = text.TrimEnd();
            else if (kind != '{' && !plus)
            {
                var nl = text.LastIndexOf('\n');
                var tail = text[(nl + 1)..];
                if (tail.Trim(' ', '\t').Length == 0 && AtLineStart(s, open - tail.Length)) text = text[..(nl + 1)];
            }
            if (text.Length > 0) list.Add(new Segment('T', text));
            if (lstrip || plus) inner = inner[1..];
            if (rstrip) inner = inner[..^1];
            if (kind == '{') list.Add(new Segment('E', inner.Trim()));
            else if (kind == '%') list.Add(new Segment('S', inner.Trim()));
            stripNext = rstrip;
            trimNewline = !rstrip && kind != '{';
            i = end + 2;
        }
        return list;
    }

    private static bool AtLineStart(string s, int pos) => pos == 0 || s[pos - 1] == '\n';

    private static int IndexOfTag(string s, int from)
    {
        for (var i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The closing marker of a tag, skipping string literals inside it.</summary>
    private static int FindClose(string s, int from, string close)
    {
        for (var i = from; i < s.Length - 1; i++)
        {
            var c = s[i];
            if (c is '"' or '\'')
            {
                for (i++; i < s.Length && s[i] != c; i++) if (s[i] == '\\') i++;
                continue;
            }
            if (c == close[0] && s[i + 1] == close[1]) return i;
        }
        return -1;
    }
}
