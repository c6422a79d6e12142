using TokenFlow.Core.Metrics;

namespace TokenFlow.Core.Tests;

public sealed class MetricsTests
{
    private static RequestTrace ExampleA() => new("a", 0, 2, Enumerable.Range(0, 10).Select(j => 1.0 + 0.1 * j).ToArray());
    private static RequestTrace ExampleB() => new("b", 0, 10, [0.5, 0.6, 1.6]);

    [Fact]
    public void WorkedExampleA()
    {
        var m = RequestMetricsCalculator.Compute(ExampleA());
        Assert.Equal(1.0, m.Ttft, 9);
        Assert.Equal(0, m.StallSeconds, 9);
        Assert.Equal(new[] { 0, 0, 1, 2, 3, 3, 4, 5, 6, 7 }, m.BufferAtToken);
        Assert.Equal(3, m.EffectiveTokens, 9);
        var s = MetricsCalculator.Summarize([ExampleA()]);
        Assert.Equal(3 / 1.9, s.EffectiveThroughputTps, 6);
        Assert.Equal(10 / 1.9, s.TokenThroughputTps, 6);
    }

    [Fact]
    public void WorkedExampleB()
    {
        var m = RequestMetricsCalculator.Compute(ExampleB());
        Assert.Equal(0.5, m.Ttft, 9);
        Assert.Equal(0.9, m.StallSeconds, 9);
        Assert.Equal(3, m.EffectiveTokens, 9);
        Assert.Equal(3 / 1.6, MetricsCalculator.Summarize([ExampleB()]).EffectiveThroughputTps, 6);
    }

    [Fact]
    public void WeightFallsLinearlyBetweenThresholds()
    {
        Assert.Equal(1, RequestMetricsCalculator.Weight(10, 10, 20));
        Assert.Equal(0.5, RequestMetricsCalculator.Weight(15, 10, 20), 9);
        Assert.Equal(0, RequestMetricsCalculator.Weight(20, 10, 20));
        Assert.Equal(0, RequestMetricsCalculator.Weight(100, 10, 20));
    }

    [Fact]
    public void ThresholdsAreOptions()
    {
        // With thresholds at 0.5·L and 1.0·L example A (buffers up to 7 of 10) scores higher.
        var loose = new MetricsOptions { FullWeightBufferFraction = 0.5, ZeroWeightBufferFraction = 1.0 };
        var m = RequestMetricsCalculator.Compute(ExampleA(), loose);
        Assert.True(m.EffectiveTokens > 3);
        Assert.Equal(8 + 0.8 + 0.6, m.EffectiveTokens, 9); // buffers 0..5 weigh 1, then 6 → 0.8 and 7 → 0.6
    }

    [Fact]
    public void MakespanRunsFromFirstArrivalToLastToken()
    {
        var late = new RequestTrace("late", 5, 100, [6.0, 6.01]);
        var s = MetricsCalculator.Summarize([ExampleA(), late]);
        Assert.Equal(6.01, s.MakespanSeconds, 9);
        Assert.Equal(12 / 6.01, s.TokenThroughputTps, 9);
        Assert.Equal(2, s.Requests);
    }

    [Fact]
    public void PercentilesInterpolateBetweenRanks()
    {
        var sorted = new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        Assert.Equal(5.5, Percentiles.Of(sorted, 50), 9);
        Assert.Equal(9.91, Percentiles.Of(sorted, 99), 9);
        Assert.Equal(1, Percentiles.Of(sorted, 0));
        Assert.Equal(10, Percentiles.Of(sorted, 100));
        Assert.True(double.IsNaN(Percentiles.Of([], 50)));
    }

    [Fact]
    public void StallAndTtftStatistics()
    {
        var s = MetricsCalculator.Summarize([ExampleA(), ExampleB()]);
        Assert.Equal(0.75, s.TtftMeanSeconds, 9);
        Assert.Equal(0.45, s.StallMeanSeconds, 9);
        Assert.Equal(0, s.StallOver1sShare);
        var stally = new RequestTrace("c", 0, 10, [0.1, 2.0]);
        Assert.Equal(1 / 3.0, MetricsCalculator.Summarize([ExampleA(), ExampleB(), stally]).StallOver1sShare, 9);
    }

    [Fact]
    public void ConsumedThroughputCountsReadsInsideTheWindow()
    {
        // Example A's reads fall at 1.0, 1.5, …, 5.5: four of them inside [1.0, 2.5].
        var s = MetricsCalculator.Summarize([ExampleA()], new MetricsOptions { ConsumedWindow = (1.0, 2.5) });
        Assert.Equal(4 / 1.5, s.ConsumedThroughputTps, 9);
    }

    [Fact]
    public void QosPenalisesTtftAndStall()
    {
        var s = MetricsCalculator.Summarize([ExampleB()]);
        Assert.Equal((3 - 0.5 - 0.9) / 1.6, s.Qos, 9);
    }
}

public sealed class PercentileSelectionTests
{
    [Fact]
    public void SelectionAgreesWithSorting()
    {
        var rng = new Random(3);
        foreach (var n in new[] { 1, 2, 3, 10, 101, 5000 })
        {
            var values = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 50) / 10).ToArray();
            var sorted = values.OrderBy(v => v).ToArray();
            foreach (var p in new[] { 0.0, 1, 50, 90, 99, 100 })
                Assert.Equal(Percentiles.Of(sorted, p), Percentiles.OfUnsorted((double[])values.Clone(), p), 12);
        }
    }
}
