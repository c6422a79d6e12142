using TokenFlow.Bench.Results;
using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench.Report;

/// <summary>
/// Plot data derived from a report's traces through the core's metrics code (so plots and numbers agree):
/// the TTFT CDF, throughput per time bin, and each request's buffer occupancy b(t).
/// </summary>
public static class ReportSeries
{
    public static MetricsOptions OptionsOf(BenchReport r) => new()
    {
        FullWeightBufferFraction = r.Config.EffectiveFullWeightFraction > 0 ? r.Config.EffectiveFullWeightFraction : 0.1,
        ZeroWeightBufferFraction = r.Config.EffectiveZeroWeightFraction > 0 ? r.Config.EffectiveZeroWeightFraction : 0.2,
    };

    /// <summary>Sorted TTFTs (s) and their cumulative fractions.</summary>
    public static (double[] X, double[] Y) TtftCdf(BenchReport r)
    {
        var x = Percentiles.Sorted(r.Requests.Where(q => q.TtftSeconds is not null).Select(q => q.TtftSeconds!.Value));
        var y = x.Select((_, i) => (i + 1) / (double)x.Length).ToArray();
        return (x, y);
    }

    /// <summary>Bin width for a run: about 60 bins over the makespan, at least 50 ms.</summary>
    public static double BinWidth(BenchReport r) => Math.Max(0.05, End(r) / 60);

    private static double End(BenchReport r) => r.Requests.Select(q => q.TokenTimes.Length > 0 ? q.TokenTimes[^1] : q.SentAt).DefaultIfEmpty(1).Max();

    /// <summary>Per bin (start times): tokens generated/s, effective tokens (Σw)/s, and tokens read by the emulated readers/s.</summary>
    public static (double[] T, double[] Token, double[] Effective, double[] Consumed) Throughput(BenchReport r, double? width = null)
    {
        var w = width ?? BinWidth(r);
        var options = OptionsOf(r);
        var started = r.Requests.Where(q => q.TokenTimes.Length > 0)
            .Select(q => (q, m: RequestMetricsCalculator.Compute(BenchAnalysis.ToTrace(q), options))).ToArray();
        // Readers finish after the last token, so the bins run to the last read.
        var end = Math.Max(End(r), started.Select(x => x.m.ReadTimes[^1]).DefaultIfEmpty(0).Max());
        var bins = Math.Max(1, (int)Math.Ceiling(end / w) + 1);
        double[] token = new double[bins], effective = new double[bins], consumed = new double[bins];
        foreach (var (q, m) in started)
        {
            var n = q.TokenTimes.Length;
            for (var j = 0; j < n; j++)
            {
                var b = Bin(q.TokenTimes[j], w, bins);
                token[b] += 1;
                effective[b] += j == 0 ? 1 : RequestMetricsCalculator.Weight(m.BufferAtToken[j], options.FullWeightBufferFraction * n, options.ZeroWeightBufferFraction * n);
                consumed[Bin(m.ReadTimes[j], w, bins)] += 1;
            }
        }
        var t = Enumerable.Range(0, bins).Select(i => i * w).ToArray();
        return (t, token.Select(v => v / w).ToArray(), effective.Select(v => v / w).ToArray(), consumed.Select(v => v / w).ToArray());
    }

    private static int Bin(double time, double w, int bins) => Math.Clamp((int)(time / w), 0, bins - 1);

    /// <summary>
    /// Buffer occupancy b(t) = g(t) − c(t) of each request at the bin centres; NaN before its first token and after its reader finishes.
    /// Rows are requests in arrival order.
    /// </summary>
    public static (double[,] Buffer, double BinWidth, IReadOnlyList<BenchRequestRecord> Rows) BufferGrid(BenchReport r, int maxRows = 200)
    {
        var started = r.Requests.Where(q => q.TokenTimes.Length > 0).OrderBy(q => q.SentAt).ToArray();
        if (started.Length > maxRows) started = Enumerable.Range(0, maxRows).Select(i => started[i * started.Length / maxRows]).ToArray();
        var options = OptionsOf(r);
        var reads = started.Select(q => RequestMetricsCalculator.Compute(BenchAnalysis.ToTrace(q), options).ReadTimes).ToArray();
        var end = reads.Select(x => x.Length > 0 ? x[^1] : 0).DefaultIfEmpty(1).Max();
        var w = Math.Max(0.05, end / 200);
        var cols = Math.Max(1, (int)Math.Ceiling(end / w));
        var grid = new double[started.Length, cols];
        for (var i = 0; i < started.Length; i++)
        {
            var a = started[i].TokenTimes;
            var c = reads[i];
            int g = 0, read = 0;
            for (var k = 0; k < cols; k++)
            {
                var t = (k + 0.5) * w;
                while (g < a.Length && a[g] <= t) g++;
                while (read < c.Length && c[read] <= t) read++;
                grid[i, k] = t < a[0] || t > c[^1] ? double.NaN : g - read;
            }
        }
        return (grid, w, started);
    }
}
