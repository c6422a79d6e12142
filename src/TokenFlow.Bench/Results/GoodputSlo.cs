using System.Globalization;

namespace TokenFlow.Bench.Results;

/// <summary>
/// Service-level objectives for goodput, in milliseconds (vLLM's <c>--goodput ttft:500 tpot:50 e2el:2000</c>).
/// A completed request is "good" when it meets every objective given.
/// </summary>
public sealed record GoodputSlo(double? TtftMs, double? TpotMs, double? E2elMs)
{
    public static GoodputSlo? Parse(IEnumerable<string>? items)
    {
        double? ttft = null, tpot = null, e2el = null;
        var any = false;
        foreach (var raw in items ?? [])
            foreach (var item in raw.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = item.Split(':');
                if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || !(ms >= 0) || !double.IsFinite(ms))
                    throw new BenchException($"--goodput: expected KEY:MILLISECONDS such as ttft:500 tpot:50 (got '{item}')");
                switch (parts[0].Trim().ToLowerInvariant())
                {
                    case "ttft": ttft = ms; break;
                    case "tpot": tpot = ms; break;
                    case "e2el": e2el = ms; break;
                    default: throw new BenchException($"--goodput: unknown metric '{parts[0]}' (expected ttft, tpot or e2el)");
                }
                any = true;
            }
        return any ? new GoodputSlo(ttft, tpot, e2el) : null;
    }

    /// <summary>vLLM's test: each given objective must hold (TPOT counts as 0 for one-token outputs).</summary>
    public bool IsMet(double ttftMs, double tpotMs, double e2elMs) =>
        (TtftMs is not { } a || ttftMs <= a) && (TpotMs is not { } b || tpotMs <= b) && (E2elMs is not { } c || e2elMs <= c);

    public override string ToString() => string.Join(" ", new[]
    {
        TtftMs is { } a ? $"ttft:{a.ToString(CultureInfo.InvariantCulture)}" : null,
        TpotMs is { } b ? $"tpot:{b.ToString(CultureInfo.InvariantCulture)}" : null,
        E2elMs is { } c ? $"e2el:{c.ToString(CultureInfo.InvariantCulture)}" : null,
    }.Where(s => s is not null));
}
