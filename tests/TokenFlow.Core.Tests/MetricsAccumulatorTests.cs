using TokenFlow.Core.Metrics;

namespace TokenFlow.Core.Tests;

public sealed class MetricsAccumulatorTests
{
    /// <summary>Traces whose tokens land on shared iteration ends, as an engine's do; some never start.</summary>
    private static RequestTrace[] Traces(int seed, int count)
    {
        var rng = new Random(seed);
        var iterations = new double[4000];
        for (var i = 1; i < iterations.Length; i++) iterations[i] = iterations[i - 1] + 0.01 + rng.NextDouble() * 0.03;
        var traces = new RequestTrace[count];
        for (var i = 0; i < count; i++)
        {
            var start = rng.Next(0, 3000);
            var arrival = iterations[start] - rng.NextDouble() * 0.5;
            var rate = rng.Next(3) switch { 0 => 4.0, 1 => 12.5, _ => 3 + rng.NextDouble() * 30 };
            var n = rng.Next(10) == 0 ? 0 : rng.Next(1, 300);
            var times = new List<double>();
            for (var at = start; times.Count < n && at < iterations.Length; at += rng.Next(8) == 0 ? rng.Next(2, 40) : 1) times.Add(iterations[at]);
            traces[i] = new RequestTrace($"r{i}", arrival, rate, times) { Completed = times.Count == n && n > 0 };
        }
        return traces;
    }

    private static MetricsSummary Online(RequestTrace[] traces, MetricsOptions? options)
    {
        var acc = new MetricsAccumulator(traces.Select(t => t.ArrivalTime).ToArray(), options);
        // Fold in a different order than the plan's, as requests finish out of order.
        foreach (var i in Enumerable.Range(0, traces.Length).OrderBy(i => traces[i].TokenTimes.Count > 0 ? traces[i].TokenTimes[^1] : 0))
        {
            var t = traces[i];
            for (var j = 1; j < t.TokenTimes.Count; j++) acc.AddGap(t.TokenTimes[j] - t.TokenTimes[j - 1]);
            acc.Add(i, t);
        }
        return acc.Summarize();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OnlineSummaryEqualsStoredTracesSummaryExactly(int seed)
    {
        var traces = Traces(seed, 800);
        Assert.Equal(MetricsCalculator.Summarize(traces), Online(traces, null));
    }

    [Fact]
    public void OnlineSummaryHonoursAnExplicitWindowAndOtherOptions()
    {
        var traces = Traces(7, 500);
        var options = new MetricsOptions { ConsumedWindow = (5, 40), QosStallWeight = 2, GoodputTtftSeconds = 0.3 };
        var stored = MetricsCalculator.Summarize(traces, options);
        Assert.Equal(stored, Online(traces, options));
        Assert.True(stored.ConsumedThroughputTps > 0);
    }

    [Fact]
    public void NoStartedRequestGivesTheEmptySummary()
    {
        RequestTrace[] traces = [new("a", 1, 5, []) { Completed = false }, new("b", 2, 5, []) { Completed = false }];
        Assert.Equal(MetricsCalculator.Summarize(traces), Online(traces, null));
    }

    [Fact]
    public void MissingGapsAreAnError()
    {
        var acc = new MetricsAccumulator([0.0]);
        acc.Add(0, new RequestTrace("a", 0, 5, [1.0, 1.5, 2.0]));
        Assert.Throws<InvalidOperationException>(() => acc.Summarize());
    }

    [Fact]
    public void GapPercentilesEqualTheUnsortedOnes()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 5000).Select(_ => Math.Round(rng.NextDouble(), 2)).ToArray();
        var h = new GapHistogram();
        foreach (var v in values) h.Add(v);
        foreach (var p in new[] { 0.0, 1, 50, 90, 99, 99.9, 100 })
            Assert.Equal(Percentiles.OfUnsorted((double[])values.Clone(), p), h.Percentile(p));
        Assert.Equal(5000, h.Count);
    }
}
