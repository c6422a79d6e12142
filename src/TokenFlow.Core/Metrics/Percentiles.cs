namespace TokenFlow.Core.Metrics;

/// <summary>Percentiles by linear interpolation between closest ranks (numpy's default).</summary>
public static class Percentiles
{
    public static double Of(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        if (p <= 0) return sorted[0];
        if (p >= 100) return sorted[^1];
        var rank = p / 100 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double[] Sorted(IEnumerable<double> values)
    {
        var a = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(a);
        return a;
    }
}
