namespace TokenFlow.Inference.Templating;

/// <summary>Builds the statement tree: if/elif/else, for/else with an optional filter, set (also block and namespace attribute), macro, break, continue, do.</summary>
internal sealed class JinjaParser(List<JinjaLexer.Segment> segments)
{
    private int _pos;

    public List<Node> ParseTemplate()
    {
        var body = ParseBlock(out var end);
        if (end is not null) throw new JinjaException($"unexpected {{% {end} %}}");
        return body;
    }

    /// <summary>Parses nodes until an end/else/elif tag, returned in <paramref name="end"/> (null at end of input).</summary>
    private List<Node> ParseBlock(out string? end)
    {
        var nodes = new List<Node>();
        while (_pos < segments.Count)
        {
            var seg = segments[_pos++];
            switch (seg.Kind)
            {
                case 'T': nodes.Add(new TextNode(seg.Text)); break;
                case 'E': nodes.Add(new OutputNode(ExprParser.Parse(seg.Text))); break;
                default:
                    var word = seg.Text.Split([' ', '\n', '\t', '\r', '('], 2, StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } w ? w[0] : "";
                    var rest = seg.Text[word.Length..].Trim();
                    switch (word)
                    {
                        case "if": nodes.Add(ParseIf(rest)); break;
                        case "for": nodes.Add(ParseFor(rest)); break;
                        case "set": nodes.Add(ParseSet(rest)); break;
                        case "macro": nodes.Add(ParseMacro(rest)); break;
                        case "break": nodes.Add(new LoopControlNode(Flow.Break)); break;
                        case "continue": nodes.Add(new LoopControlNode(Flow.Continue)); break;
                        case "do": nodes.Add(new DoNode(ExprParser.Parse(rest))); break;
                        case "endif" or "endfor" or "else" or "elif" or "endset" or "endmacro":
                            end = seg.Text;
                            return nodes;
                        default: throw new JinjaException($"unsupported tag '{word}'");
                    }
                    break;
            }
        }
        end = null;
        return nodes;
    }

    private IfNode ParseIf(string cond)
    {
        var branches = new List<(Expr, List<Node>)>();
        List<Node>? otherwise = null;
        var current = ExprParser.Parse(cond);
        while (true)
        {
            var body = ParseBlock(out var end);
            branches.Add((current, body));
            if (end is null) throw new JinjaException("missing {% endif %}");
            if (end == "endif") break;
            if (end == "else")
            {
                otherwise = ParseBlock(out var end2);
                if (end2 != "endif") throw new JinjaException("missing {% endif %}");
                break;
            }
            if (end.StartsWith("elif", StringComparison.Ordinal)) { current = ExprParser.Parse(end[4..]); continue; }
            throw new JinjaException($"unexpected {{% {end} %}} inside if");
        }
        return new IfNode(branches, otherwise);
    }

    private ForNode ParseFor(string header)
    {
        var inAt = header.IndexOf(" in ", StringComparison.Ordinal);
        if (inAt < 0) throw new JinjaException("for without in");
        var names = header[..inAt].Trim('(', ')', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var (source, filter) = ExprParser.ParseWithFilter(header[(inAt + 4)..]);
        var body = ParseBlock(out var end);
        List<Node>? otherwise = null;
        if (end == "else") otherwise = ParseBlock(out end);
        if (end != "endfor") throw new JinjaException("missing {% endfor %}");
        return new ForNode(names, source, filter, body, otherwise);
    }

    private SetNode ParseSet(string rest)
    {
        var eq = IndexOfAssign(rest);
        var target = (eq < 0 ? rest : rest[..eq]).Trim();
        string? attribute = null;
        var dot = target.IndexOf('.');
        if (dot > 0) { attribute = target[(dot + 1)..].Trim(); target = target[..dot].Trim(); }
        var names = target.Trim('(', ')', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (eq >= 0) return new SetNode(names, attribute, ExprParser.Parse(rest[(eq + 1)..]), null);
        var block = ParseBlock(out var end);
        if (end != "endset") throw new JinjaException("missing {% endset %}");
        return new SetNode(names, attribute, null, block);
    }

    /// <summary>The '=' of an assignment (not part of ==, != , &lt;=, &gt;=).</summary>
    private static int IndexOfAssign(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is '"' or '\'') { var q = s[i]; for (i++; i < s.Length && s[i] != q; i++) if (s[i] == '\\') i++; continue; }
            if (s[i] == '=' && (i + 1 >= s.Length || s[i + 1] != '=') && (i == 0 || s[i - 1] is not ('=' or '!' or '<' or '>'))) return i;
        }
        return -1;
    }

    private MacroNode ParseMacro(string header)
    {
        var open = header.IndexOf('(');
        if (open <= 0 || !header.EndsWith(')')) throw new JinjaException($"bad macro header '{header}'");
        var name = header[..open].Trim();
        var parameters = ExprParser.ParseParameters(header[(open + 1)..^1]);
        var body = ParseBlock(out var end);
        if (end != "endmacro") throw new JinjaException("missing {% endmacro %}");
        return new MacroNode(name, parameters, body);
    }
}
