namespace TokenFlow.Core.Metrics;

/// <summary>
/// <see cref="MetricsCalculator.Summarize"/> for runs too long to keep every token's time: each
/// request is folded when it ends into a few numbers, token gaps into a histogram of exact values,
/// and the summary is the same, bit for bit, as summarising the stored traces (sums run in plan order).
/// </summary>
public sealed class MetricsAccumulator
{
    private readonly MetricsOptions _options;
    private readonly Folded[] _folded;
    private readonly GapHistogram _gaps = new();
    private long _foldedGaps;

    /// <param name="arrivals">Arrival time of every planned request, in plan order (rejected ones included).</param>
    public MetricsAccumulator(IReadOnlyList<double> arrivals, MetricsOptions? options = null)
    {
        _options = options ?? new MetricsOptions();
        _folded = new Folded[arrivals.Count];
        for (var i = 0; i < _folded.Length; i++) _folded[i] = new Folded { Arrival = arrivals[i], Ttft = double.NaN };
    }

    /// <summary>Counts one token gap (the caller sees every delivered token of every request it will <see cref="Add"/>).</summary>
    public void AddGap(double gap) => _gaps.Add(gap);

    /// <summary>Folds the finished request at plan position <paramref name="index"/>; its gaps must already be in <see cref="AddGap"/>.</summary>
    public void Add(int index, RequestTrace t)
    {
        var m = RequestMetricsCalculator.Compute(t, _options);
        _foldedGaps += m.Gaps.Length;
        ref var f = ref _folded[index];
        f.Completed = t.Completed;
        f.Tokens = m.Tokens;
        if (m.Tokens == 0) return;
        f.Ttft = m.Ttft;
        f.Stall = m.StallSeconds;
        f.Effective = m.EffectiveTokens;
        f.LastToken = t.TokenTimes[^1];
        var reads = m.ReadTimes;
        if (_options.ConsumedWindow is var (ws, we))
        {
            f.ReadsInWindow = reads.Count(r => r >= ws && r <= we);
            return;
        }
        // The window ends at the last token of the whole run, known only at the end. Reads up to this
        // request's last token are inside it; every later read is the previous one plus the period
        // (design §2's reader), so a start and a count replay them exactly.
        var inside = 0;
        while (inside < reads.Length && reads[inside] <= f.LastToken) inside++;
        f.ReadsInWindow = inside;
        f.TailStart = reads[inside - 1];
        f.TailCount = reads.Length - inside;
        f.Period = 1 / t.Rate;
    }

    public MetricsSummary Summarize()
    {
        var all = _folded;
        var started = all.Where(f => f.Tokens > 0).ToArray();
        if (_foldedGaps != _gaps.Count)
            throw new InvalidOperationException($"metrics saw {_gaps.Count} token gaps but the folded requests have {_foldedGaps}");
        if (started.Length == 0)
            return new MetricsSummary { Requests = all.Length, CompletedRequests = all.Count(f => f.Completed) };
        var first = all.Min(f => f.Arrival);
        var last = started.Max(f => f.LastToken);
        var makespan = Math.Max(last - first, 1e-12);
        var tokens = all.Sum(f => (long)f.Tokens);
        var ttft = Percentiles.Sorted(started.Select(f => f.Ttft));
        var stalls = Percentiles.Sorted(started.Select(f => f.Stall));
        var (ws, we) = _options.ConsumedWindow ?? (first, last);
        long consumed = 0;
        foreach (var f in started)
        {
            consumed += f.ReadsInWindow;
            if (_options.ConsumedWindow is not null) continue;
            var r = f.TailStart;
            for (var k = 0; k < f.TailCount; k++)
            {
                r += f.Period; // the reader's recurrence past the last token: previous read + period
                if (r > we) break;
                consumed++;
            }
        }
        var o = _options;
        var qos = started.Sum(f => f.Effective - o.QosTtftWeight * f.Ttft - o.QosStallWeight * f.Stall) / makespan;
        return new MetricsSummary
        {
            Requests = all.Length,
            CompletedRequests = all.Count(f => f.Completed),
            Tokens = tokens,
            MakespanSeconds = makespan,
            EffectiveThroughputTps = all.Sum(f => f.Tokens > 0 ? f.Effective : 0) / makespan,
            TokenThroughputTps = tokens / makespan,
            ConsumedThroughputTps = we > ws ? consumed / (we - ws) : 0,
            TtftMeanSeconds = ttft.Average(),
            TtftP50Seconds = Percentiles.Of(ttft, 50),
            TtftP90Seconds = Percentiles.Of(ttft, 90),
            TtftP99Seconds = Percentiles.Of(ttft, 99),
            TbtP50Seconds = _gaps.Percentile(50),
            TbtP99Seconds = _gaps.Percentile(99),
            StallMeanSeconds = stalls.Average(),
            StallP99Seconds = Percentiles.Of(stalls, 99),
            StallOver1sShare = stalls.Count(s => s > 1) / (double)stalls.Length,
            Qos = qos,
            StreamingGoodput = started.Count(f => f.Ttft <= o.GoodputTtftSeconds && f.Stall <= o.GoodputStallSeconds) / (double)all.Length,
        };
    }

    private struct Folded
    {
        public double Arrival, Ttft, Stall, Effective, LastToken, TailStart, Period;
        public int Tokens, ReadsInWindow, TailCount;
        public bool Completed;
    }
}
