namespace TokenFlow.Cli.Commands;

/// <summary>"tokenflow servee" → "did you mean 'serve'?": the known command within edit distance 2, if one is unique-nearest.</summary>
internal static class CommandSuggestion
{
    public static string? Closest(string typed, IEnumerable<string> commands)
    {
        if (typed.StartsWith('-')) return null;
        var best = commands.Select(c => (c, d: Distance(typed.ToLowerInvariant(), c))).Where(x => x.d is > 0 and <= 2).OrderBy(x => x.d).ToList();
        return best.Count == 0 || (best.Count > 1 && best[1].d == best[0].d) ? null : best[0].c;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
