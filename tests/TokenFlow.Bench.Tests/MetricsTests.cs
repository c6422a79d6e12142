using TokenFlow.Bench.Client;
using TokenFlow.Bench.Results;
using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench.Tests;

/// <summary>Reader emulation and metrics on hand-made chunk timelines: design §3's worked examples, percentiles, vLLM's TPOT/ITL/goodput.</summary>
public sealed class MetricsTests
{
    private static BenchReport Build(GoodputSlo? slo, MetricsOptions? options, double duration, params BenchRequestRecord[] records) =>
        BenchAnalysis.Build(Records.Config, records, duration, options ?? new MetricsOptions(), slo, new BenchOverhead());

    [Fact]
    public void WorkedExampleA_RaceAheadTokensWeighNothing()
    {
        var times = Enumerable.Range(0, 10).Select(i => 1.0 + i * 0.1).ToArray();
        var r = Build(null, null, 2, Records.Of("a", 0, 2, times));
        Assert.Equal(1.0, r.Summary.TtftMeanSeconds, 9);
        Assert.Equal(0, r.Summary.StallMeanSeconds, 9);
        Assert.Equal(3 / 1.9, r.Summary.EffectiveThroughputTps, 6);
        Assert.Equal(10 / 1.9, r.Summary.TokenThroughputTps, 6);
        Assert.Equal(3, r.Requests[0].EffectiveTokens, 9);
    }

    [Fact]
    public void WorkedExampleB_ReaderStallsWhileStarved()
    {
        var r = Build(null, null, 2, Records.Of("b", 0, 10, 0.5, 0.6, 1.6));
        Assert.Equal(0.5, r.Summary.TtftMeanSeconds, 9);
        Assert.Equal(0.9, r.Requests[0].StallSeconds, 9);
        Assert.Equal(0.9, r.Summary.StallMeanSeconds, 9);
        Assert.Equal(3 / 1.6, r.Summary.EffectiveThroughputTps, 6);
        Assert.Equal(0, r.Summary.StallOver1sShare);
    }

    [Fact]
    public void StallShareCountsRequestsOverOneSecond()
    {
        var r = Build(null, null, 5,
            Records.Of("x", 0, 10, 0.1, 2.0),        // waits 1.8 s for its second token
            Records.Of("y", 0, 10, 0.1, 0.2, 0.3));  // never starves
        Assert.Equal(0.5, r.Summary.StallOver1sShare, 9);
        Assert.Equal(1.8, r.Requests[0].StallSeconds, 9);
    }

    [Fact]
    public void ConsumedThroughputCountsReadsInsideTheWindow()
    {
        // r = 2: reads at 1.0, 1.5, 2.0, ..., 5.5 for ten tokens arriving 1.0..1.9.
        var times = Enumerable.Range(0, 10).Select(i => 1.0 + i * 0.1).ToArray();
        var options = new MetricsOptions { ConsumedWindow = (1.0, 3.0) };
        var r = Build(null, options, 6, Records.Of("a", 0, 2, times));
        Assert.Equal(5 / 2.0, r.Summary.ConsumedThroughputTps, 9); // reads at 1.0, 1.5, 2.0, 2.5, 3.0
    }

    [Fact]
    public void TtftPercentilesInterpolateLikeNumpy()
    {
        var recs = Enumerable.Range(1, 5).Select(i => Records.Of($"r{i}", 0, 10, i, i + 0.1)).ToArray();
        var r = Build(null, null, 10, recs);
        Assert.Equal(3, r.Summary.TtftP50Seconds, 9);
        Assert.Equal(4.6, r.Summary.TtftP90Seconds, 9);
        Assert.Equal(4.96, r.Summary.TtftP99Seconds, 9);
        Assert.Equal(3000, r.Vllm.MedianTtftMs, 6);
        Assert.Equal(4960, r.Vllm.P99TtftMs, 6);
    }

    [Fact]
    public void TpotItlE2elAndGoodputFollowVllm()
    {
        var good = Records.Of("good", 0, 10, 0.1, 0.2, 0.4, 0.7);   // ttft 100, e2el 700, tpot 600/3 = 200, ITL 100/200/300
        var slow = Records.Of("slow", 0, 10, 0.5, 0.6);             // ttft 500 misses the TTFT SLO
        var single = Records.Of("one", 0, 10, 0.05);                // one token: no TPOT sample, TPOT 0 for goodput
        var failed = Records.Of("fail", 0, 10, 0.3) with { Completed = false, Error = ErrorKinds.BrokenStream };
        var slo = GoodputSlo.Parse(["ttft:150", "tpot:250"]);
        var r = Build(slo, null, 2, good, slow, single, failed);

        Assert.Equal(3, r.Vllm.Completed);
        Assert.Equal(1, r.Vllm.Failed);
        Assert.Equal(200, r.Requests[0].TpotSeconds!.Value * 1000, 6);
        Assert.Equal((200 + 100) / 2.0, r.Vllm.MeanTpotMs, 6);   // good 200, slow 100; the one-token request has none
        Assert.Equal(new[] { 100.0, 200, 300, 100 }.Average(), r.Vllm.MeanItlMs, 6);
        Assert.Equal(150, r.Vllm.MedianItlMs, 6);
        Assert.Equal((700 + 600 + 50) / 3.0, r.Vllm.MeanE2elMs, 6);
        Assert.Equal(2 / 2.0, r.Vllm.RequestGoodput!.Value, 9); // "good" and "one" meet both SLOs
        Assert.Equal(3 / 2.0, r.Vllm.RequestThroughput, 9);
        Assert.Equal(7 / 2.0, r.Vllm.OutputThroughput, 9);
        Assert.Equal(1, r.Errors[ErrorKinds.BrokenStream]);
    }

    [Fact]
    public void GoodputSyntaxIsVllms()
    {
        Assert.Equal(new GoodputSlo(500, 50, null), GoodputSlo.Parse(["ttft:500", "tpot:50"]));
        Assert.Equal(new GoodputSlo(null, null, 2000), GoodputSlo.Parse(["e2el:2000"]));
        Assert.Null(GoodputSlo.Parse([]));
        Assert.Throws<BenchException>(() => GoodputSlo.Parse(["ttft=500"]));
        Assert.Throws<BenchException>(() => GoodputSlo.Parse(["foo:1"]));
    }

    [Fact]
    public void UsageCountSpreadsTokensOverChunksByText()
    {
        // Three chunks, the last twice as long; usage says 4 tokens: the last chunk carries two.
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 3.0 }, TokenTimeline.Build([1.0, 2.0, 3.0], [1, 1, 2], 4));
        // Usage agrees with the chunk count, or is absent: one chunk is one token.
        Assert.Equal(new[] { 1.0, 2.0 }, TokenTimeline.Build([1.0, 2.0], [5, 5], 2));
        Assert.Equal(new[] { 1.0, 2.0 }, TokenTimeline.Build([1.0, 2.0], [5, 5], null));
    }
}
