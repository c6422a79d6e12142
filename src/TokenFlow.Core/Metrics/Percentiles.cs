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

    /// <summary>
    /// The same percentile without sorting: two quickselects, O(n) on average. Reorders
    /// <paramref name="values"/> in place; used for the millions of token gaps of long runs.
    /// </summary>
    public static double OfUnsorted(double[] values, double p)
    {
        var n = values.Length;
        if (n == 0) return double.NaN;
        var rank = Math.Clamp(p / 100, 0, 1) * (n - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, n - 1);
        var a = Select(values, lo);
        if (hi == lo) return a;
        var b = Select(values, hi);
        return a + (b - a) * (rank - lo);
    }

    /// <summary>Hoare's selection: the k-th smallest value, partially ordering the array around it.</summary>
    private static double Select(double[] v, int k)
    {
        int left = 0, right = v.Length - 1;
        while (right > left)
        {
            var mid = left + (right - left) / 2;
            // Median of three as the pivot keeps sorted and constant inputs linear.
            var pivot = Math.Max(Math.Min(v[left], v[mid]), Math.Min(Math.Max(v[left], v[mid]), v[right]));
            int i = left, j = right;
            while (i <= j)
            {
                while (v[i] < pivot) i++;
                while (v[j] > pivot) j--;
                if (i <= j) { (v[i], v[j]) = (v[j], v[i]); i++; j--; }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return v[k];
        }
        return v[k];
    }

    public static double[] Sorted(IEnumerable<double> values)
    {
        var a = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(a);
        return a;
    }
}
