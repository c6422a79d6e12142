namespace TokenFlow.Core.Metrics;

/// <summary>Aggregates request traces into <see cref="MetricsSummary"/> exactly as design §3 defines.</summary>
public static class MetricsCalculator
{
    public static MetricsSummary Summarize(IReadOnlyList<RequestTrace> traces, MetricsOptions? options = null)
    {
        options ??= new MetricsOptions();
        var per = traces.Select(t => RequestMetricsCalculator.Compute(t, options)).ToArray();
        var started = traces.Where(t => t.TokenTimes.Count > 0).ToArray();
        if (started.Length == 0)
            return new MetricsSummary { Requests = traces.Count, CompletedRequests = traces.Count(t => t.Completed) };
        var first = traces.Min(t => t.ArrivalTime);
        var last = started.Max(t => t.TokenTimes[^1]);
        var makespan = Math.Max(last - first, 1e-12);
        var tokens = per.Sum(p => (long)p.Tokens);
        var ttft = Percentiles.Sorted(per.Where(p => p.Tokens > 0).Select(p => p.Ttft));
        var gaps = new double[per.Sum(p => p.Gaps.Length)];
        var at = 0;
        foreach (var p in per) { p.Gaps.CopyTo(gaps, at); at += p.Gaps.Length; }
        var stalls = Percentiles.Sorted(per.Where(p => p.Tokens > 0).Select(p => p.StallSeconds));
        var (ws, we) = options.ConsumedWindow ?? (first, last);
        var consumed = per.Sum(p => p.ReadTimes.Count(r => r >= ws && r <= we));
        var qos = per.Where(p => p.Tokens > 0).Sum(p => p.EffectiveTokens - options.QosTtftWeight * p.Ttft - options.QosStallWeight * p.StallSeconds) / makespan;
        return new MetricsSummary
        {
            Requests = traces.Count,
            CompletedRequests = traces.Count(t => t.Completed),
            Tokens = tokens,
            MakespanSeconds = makespan,
            EffectiveThroughputTps = per.Sum(p => p.EffectiveTokens) / makespan,
            TokenThroughputTps = tokens / makespan,
            ConsumedThroughputTps = we > ws ? consumed / (we - ws) : 0,
            TtftMeanSeconds = ttft.Average(),
            TtftP50Seconds = Percentiles.Of(ttft, 50),
            TtftP90Seconds = Percentiles.Of(ttft, 90),
            TtftP99Seconds = Percentiles.Of(ttft, 99),
            TbtP50Seconds = Percentiles.OfUnsorted(gaps, 50),
            TbtP99Seconds = Percentiles.OfUnsorted(gaps, 99),
            StallMeanSeconds = stalls.Average(),
            StallP99Seconds = Percentiles.Of(stalls, 99),
            StallOver1sShare = stalls.Count(s => s > 1) / (double)stalls.Length,
            Qos = qos,
            StreamingGoodput = per.Count(p => p.Tokens > 0 && p.Ttft <= options.GoodputTtftSeconds && p.StallSeconds <= options.GoodputStallSeconds) / (double)traces.Count,
        };
    }
}
