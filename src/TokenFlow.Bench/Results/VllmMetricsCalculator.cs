using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench.Results;

/// <summary>Computes <see cref="VllmMetrics"/> from the records, following vLLM's benchmarks/serve.py.</summary>
public static class VllmMetricsCalculator
{
    /// <summary>TPOT of one request, seconds: (e2el − ttft)/(n − 1); 0 for a one-token output (as vLLM does).</summary>
    public static double Tpot(double ttft, double e2el, int tokens) => tokens > 1 ? (e2el - ttft) / (tokens - 1) : 0;

    public static VllmMetrics Compute(IReadOnlyList<BenchRequestRecord> records, double durationSeconds, GoodputSlo? slo)
    {
        var ok = records.Where(r => r.Completed && r.TtftSeconds is not null).ToArray();
        var ttft = Ms(ok.Select(r => r.TtftSeconds!.Value));
        var tpot = Ms(ok.Where(r => r.OutputTokens > 1).Select(r => r.TpotSeconds ?? 0));
        var itl = Ms(ok.SelectMany(r => Gaps(r.ChunkTimeline)));
        var e2el = Ms(ok.Select(r => r.E2elSeconds ?? 0));
        var input = ok.Sum(r => (long)(r.PromptTokens ?? r.PromptLength));
        var output = ok.Sum(r => (long)r.OutputTokens);
        var d = Math.Max(durationSeconds, 1e-9);
        double? goodput = slo is null ? null
            : ok.Count(r => slo.IsMet(r.TtftSeconds!.Value * 1000, (r.TpotSeconds ?? 0) * 1000, (r.E2elSeconds ?? 0) * 1000)) / d;
        return new VllmMetrics
        {
            Completed = ok.Length,
            Failed = records.Count - ok.Length,
            TotalInputTokens = input,
            TotalOutputTokens = output,
            Duration = durationSeconds,
            RequestThroughput = ok.Length / d,
            RequestGoodput = goodput,
            OutputThroughput = output / d,
            TotalTokenThroughput = (input + output) / d,
            MeanTtftMs = Mean(ttft), MedianTtftMs = P(ttft, 50), StdTtftMs = Std(ttft), P90TtftMs = P(ttft, 90), P99TtftMs = P(ttft, 99),
            MeanTpotMs = Mean(tpot), MedianTpotMs = P(tpot, 50), StdTpotMs = Std(tpot), P90TpotMs = P(tpot, 90), P99TpotMs = P(tpot, 99),
            MeanItlMs = Mean(itl), MedianItlMs = P(itl, 50), StdItlMs = Std(itl), P90ItlMs = P(itl, 90), P99ItlMs = P(itl, 99),
            MeanE2elMs = Mean(e2el), MedianE2elMs = P(e2el, 50), StdE2elMs = Std(e2el), P90E2elMs = P(e2el, 90), P99E2elMs = P(e2el, 99),
        };
    }

    private static IEnumerable<double> Gaps(IReadOnlyList<double> times)
    {
        for (var i = 1; i < times.Count; i++) yield return times[i] - times[i - 1];
    }

    private static double[] Ms(IEnumerable<double> seconds) => Percentiles.Sorted(seconds.Select(s => s * 1000));
    // numpy's mean/std of an empty list is NaN (vLLM reports 0 via "or 0"); 0 keeps tables and JSON readable.
    private static double P(double[] sorted, double p) => sorted.Length == 0 ? 0 : Percentiles.Of(sorted, p);
    private static double Mean(double[] a) => a.Length == 0 ? 0 : a.Average();
    private static double Std(double[] a)
    {
        if (a.Length == 0) return 0;
        var m = a.Average();
        return Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / a.Length);
    }
}
