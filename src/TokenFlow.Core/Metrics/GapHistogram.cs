namespace TokenFlow.Core.Metrics;

/// <summary>
/// Token gaps as a count per exact value: the tokens of one iteration mostly share a gap, so the
/// distinct values are few next to the gaps. Percentiles equal <see cref="Percentiles.OfUnsorted"/> on all of them.
/// </summary>
public sealed class GapHistogram
{
    private readonly Dictionary<double, long> _counts = new();
    private double _lastValue = double.NaN;
    private long _lastRun;

    public long Count { get; private set; }

    public void Add(double gap)
    {
        Count++;
        if (gap.Equals(_lastValue)) { _lastRun++; return; }
        Flush();
        _lastValue = gap;
        _lastRun = 1;
    }

    public double Percentile(double p)
    {
        Flush();
        var n = Count;
        if (n == 0) return double.NaN;
        var keys = _counts.Keys.ToArray();
        Array.Sort(keys);
        var rank = Math.Clamp(p / 100, 0, 1) * (n - 1);
        var lo = (long)Math.Floor(rank);
        var hi = Math.Min(lo + 1, n - 1);
        var a = Kth(keys, lo);
        if (hi == lo) return a;
        var b = Kth(keys, hi);
        return a + (b - a) * (rank - lo);
    }

    private double Kth(double[] sortedKeys, long k)
    {
        long seen = 0;
        foreach (var key in sortedKeys)
        {
            seen += _counts[key];
            if (k < seen) return key;
        }
        return sortedKeys[^1];
    }

    private void Flush()
    {
        if (_lastRun == 0) return;
        _counts[_lastValue] = _counts.GetValueOrDefault(_lastValue) + _lastRun;
        _lastRun = 0;
        _lastValue = double.NaN;
    }
}
