namespace TokenFlow.Bench.Client;

/// <summary>
/// Turns a stream's text chunks into per-token arrival times. One chunk ≈ one token; when the server's
/// usage reports a different count (servers that pack several tokens per chunk), the reported tokens are
/// spread over the chunks in proportion to their text, so the count is exact and no token precedes its chunk.
/// </summary>
public static class TokenTimeline
{
    public static double[] Build(IReadOnlyList<double> chunkTimes, IReadOnlyList<int> chunkChars, int? usageTokens)
    {
        var chunks = chunkTimes.Count;
        if (usageTokens is not { } n || n == chunks || chunks == 0) return [.. chunkTimes];
        if (n <= 0) return [];
        var total = 0L;
        foreach (var c in chunkChars) total += Math.Max(1, c);
        var times = new double[n];
        var chunk = 0;
        var cumulative = (long)Math.Max(1, chunkChars[0]);
        for (var k = 0; k < n; k++)
        {
            // Token k is complete once the text reaches its share (k+1)/n of the whole; the first token is the first chunk.
            var need = k == 0 ? 1 : (long)Math.Ceiling((k + 1) * (double)total / n);
            while (cumulative < need && chunk < chunks - 1) cumulative += Math.Max(1, chunkChars[++chunk]);
            times[k] = chunkTimes[chunk];
        }
        return times;
    }
}
