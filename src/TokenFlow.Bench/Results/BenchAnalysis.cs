using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench.Results;

/// <summary>Turns raw records into a <see cref="BenchReport"/>: design §3 metrics through the core's calculators, plus vLLM's.</summary>
public static class BenchAnalysis
{
    /// <summary>The core's view of a record: A_i is when the request was sent, a_j its token arrivals.</summary>
    public static RequestTrace ToTrace(BenchRequestRecord r) =>
        new(r.Id, r.SentAt, r.Rate, r.TokenTimes) { PromptTokens = r.PromptTokens ?? r.PromptLength, Completed = r.Completed };

    /// <summary>Fills each record's per-request metrics (TTFT, E2EL, TPOT, stall, Σw) from the core's reader replay.</summary>
    public static BenchRequestRecord WithMetrics(BenchRequestRecord r, MetricsOptions options)
    {
        if (r.TokenTimes.Length == 0) return r with { TtftSeconds = null, E2elSeconds = null, TpotSeconds = null, StallSeconds = 0, EffectiveTokens = 0 };
        var m = RequestMetricsCalculator.Compute(ToTrace(r), options);
        var e2el = r.TokenTimes[^1] - r.SentAt;
        return r with
        {
            TtftSeconds = m.Ttft,
            E2elSeconds = e2el,
            TpotSeconds = VllmMetricsCalculator.Tpot(m.Ttft, e2el, r.OutputTokens),
            StallSeconds = m.StallSeconds,
            EffectiveTokens = m.EffectiveTokens,
        };
    }

    public static BenchReport Build(BenchConfig config, IReadOnlyList<BenchRequestRecord> raw, double durationSeconds, MetricsOptions options,
        GoodputSlo? slo, BenchOverhead overhead, IReadOnlyList<string>? warnings = null)
    {
        var records = raw.Select(r => WithMetrics(r, options)).ToArray();
        var errors = records.Where(r => r.Error is not null).GroupBy(r => r.Error!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.Count());
        return new BenchReport
        {
            Config = config,
            Summary = MetricsCalculator.Summarize(records.Select(ToTrace).ToArray(), options),
            Vllm = VllmMetricsCalculator.Compute(records, durationSeconds, slo),
            Overhead = overhead,
            Errors = errors,
            Warnings = warnings ?? [],
            Requests = records,
        };
    }
}
