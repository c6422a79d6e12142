using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Core.Tests;

public sealed class EngineTests
{
    private static readonly EngineOptions Pressure = new()
    {
        MaxNumSeqs = 32,
        MaxBatchedTokens = 512,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 64, HostBlocks = 1000 },
    };

    private static Request[] Burst(int n) =>
        Enumerable.Range(0, n).Select(i => TestRig.MakeRequest($"r{i}", 30 + i * 7 % 90, 80 + i * 13 % 120, 4 + i % 5, arrival: i * 0.05, seed: i)).ToArray();

    public static TheoryData<string, bool> Policies() => new()
    {
        { "fcfs", false }, { "fcfs", true }, { "andes", false }, { "andes", true }, { "tokenflow", false }, { "tokenflow", true },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void EveryRequestCompletesWithTheSameTokensAndThePoolReturnsToFull(string policy, bool chunked)
    {
        var roomy = new TestRig(new FcfsScheduler(), Pressure with { Kv = Pressure.Kv with { DeviceBlocks = 4000 } });
        var reference = roomy.Run(Burst(40));
        Assert.Equal(0, roomy.Engine.Counters.SwapPreemptions + roomy.Engine.Counters.RecomputePreemptions);

        var rig = new TestRig(SchedulerFactory.Create(policy), Pressure with { ChunkedPrefill = chunked });
        var done = rig.Run(Burst(40), afterStep: e => e.ValidateKv());
        Assert.True(rig.Engine.Counters.SwapPreemptions + rig.Engine.Counters.RecomputePreemptions > 0, "memory pressure should force preemption");
        for (var i = 0; i < done.Count; i++)
        {
            Assert.Equal(RequestState.Finished, done[i].State);
            Assert.Equal(FinishReason.Length, done[i].FinishReason);
            Assert.Equal(reference[i].OutputTokens, done[i].OutputTokens);
        }
        Assert.Equal(rig.Engine.Kv.Device.Total, rig.Engine.Kv.Device.FreeCount);
        Assert.Equal(rig.Engine.Kv.Host.Total, rig.Engine.Kv.Host.FreeCount);
        Assert.True(rig.Executor.BatchSizes.Max() > 1, "continuous batching should batch");
    }

    [Fact]
    public void AbortFreesBlocksAtTheNextIteration()
    {
        var rig = new TestRig(new TokenFlowScheduler(new TokenFlowOptions()), Pressure);
        var requests = Burst(20);
        foreach (var r in requests) rig.Engine.Submit(r);
        for (var i = 0; i < 30; i++) rig.Engine.Step();
        Assert.True(rig.Engine.Kv.Device.UsedCount > 0);
        foreach (var r in requests) rig.Engine.Abort(r);
        rig.Engine.Step();
        Assert.All(requests, r => Assert.True(r.State.IsTerminal()));
        Assert.Equal(0, rig.Engine.ActiveCount + rig.Engine.WaitingCount);
        rig.Run([]); // let in-flight copies land
        Assert.Equal(rig.Engine.Kv.Device.Total, rig.Engine.Kv.Device.FreeCount);
        Assert.Equal(rig.Engine.Kv.Host.Total, rig.Engine.Kv.Host.FreeCount);
    }

    [Fact]
    public void EosEndsARequestWithStopUnlessIgnored()
    {
        var probe = TestRig.MakeRequest("p", 10, 20, 10);
        var first = FakeExecutor.TokenFor(probe, 10);
        var rig = new TestRig(new FcfsScheduler());
        var exec = new FakeExecutor(rig.Clock) { EosTokenId = first };
        var engine = new LlmEngine(new EngineOptions(), rig.Clock, exec, rig.Engine.Kv.Transfers, new FcfsScheduler());
        var stop = TestRig.MakeRequest("s", 10, 20, 10);
        var ignore = new Request("i", stop.PromptTokens, 20, 10, 0) { IgnoreEos = true };
        engine.Submit(stop);
        engine.Submit(ignore);
        while (engine.HasWork) engine.Step();
        Assert.Equal(FinishReason.Stop, stop.FinishReason);
        Assert.Single(stop.OutputTokens);
        Assert.Equal(FinishReason.Length, ignore.FinishReason);
        Assert.Equal(20, ignore.Generated);
    }

    [Fact]
    public void TokenFlowCutsTailTtftUnderABurstWithoutLosingThroughput()
    {
        Metrics.MetricsSummary RunWith(IScheduler s)
        {
            var rig = new TestRig(s, Pressure with { Kv = Pressure.Kv with { DeviceBlocks = 96 } }, baseSeconds: 0.01, perTokenSeconds: 2e-5);
            var done = rig.Run(Enumerable.Range(0, 48).Select(i => TestRig.MakeRequest($"r{i}", 48, 200, 5, seed: i)).ToArray());
            return Metrics.MetricsCalculator.Summarize(done.Select(r => new Metrics.RequestTrace(r.Id, r.ArrivalTime, r.Rate, r.TokenTimes)).ToArray());
        }
        var fcfs = RunWith(new FcfsScheduler());
        var tf = RunWith(new TokenFlowScheduler(new TokenFlowOptions()));
        Console.WriteLine($"fcfs: ttft99 {fcfs.TtftP99Seconds:F2} eff {fcfs.EffectiveThroughputTps:F1} tok {fcfs.TokenThroughputTps:F1} stall {fcfs.StallMeanSeconds:F2}; tokenflow: ttft99 {tf.TtftP99Seconds:F2} eff {tf.EffectiveThroughputTps:F1} tok {tf.TokenThroughputTps:F1} stall {tf.StallMeanSeconds:F2}");
        Assert.True(tf.TtftP99Seconds < fcfs.TtftP99Seconds, $"P99 TTFT tokenflow {tf.TtftP99Seconds:F2}s vs fcfs {fcfs.TtftP99Seconds:F2}s");
        Assert.True(tf.EffectiveThroughputTps > fcfs.EffectiveThroughputTps, $"effective tokenflow {tf.EffectiveThroughputTps:F1} vs fcfs {fcfs.EffectiveThroughputTps:F1}");
    }
}

public sealed class SmallPoolTests
{
    [Theory]
    [InlineData("fcfs")]
    [InlineData("andes")]
    [InlineData("tokenflow")]
    public void AFastEngineWithASmallPoolStillServesEveryone(string policy)
    {
        // A CPU-like engine: sub-millisecond iterations, so a re-plan interval of growth is thousands
        // of tokens, far more than the pool holds. Admission must not wait for that much room.
        var options = new EngineOptions { MaxNumSeqs = 8, MaxBatchedTokens = 256, Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 24, HostBlocks = 200 } };
        var rig = new TestRig(SchedulerFactory.Create(policy), options, baseSeconds: 2e-4, perTokenSeconds: 1e-6);
        var requests = Enumerable.Range(0, 10).Select(i => TestRig.MakeRequest($"s{i}", 60, 80, 20, arrival: i * 0.001, seed: i)).ToArray();
        rig.Run(requests, timeLimit: 600);
        Assert.All(requests, r => Assert.Equal(80, r.Generated));
    }
}

/// <summary>The request life cycle table: legal moves pass, every other move throws and leaves the state alone.</summary>
public sealed class RequestTransitionTests
{
    [Fact]
    public void IllegalMovesThrowAndLegalOnesFollowTheTable()
    {
        var r = TestRig.MakeRequest("t", 8, 4, 10);
        Assert.Throws<InvalidOperationException>(() => r.MoveTo(RequestState.Running));
        Assert.Throws<InvalidOperationException>(() => r.MoveTo(RequestState.Finished));
        Assert.Throws<InvalidOperationException>(() => r.State = RequestState.PausedOnHost); // the setter is the same checked move
        Assert.Equal(RequestState.Waiting, r.State);
        r.MoveTo(RequestState.Prefilling);
        r.MoveTo(RequestState.Running);
        r.MoveTo(RequestState.Offloading);
        Assert.Throws<InvalidOperationException>(() => r.MoveTo(RequestState.Running)); // must land on the host first
        r.MoveTo(RequestState.PausedOnHost);
        r.MoveTo(RequestState.Loading);
        r.MoveTo(RequestState.Running);
        r.MoveTo(RequestState.Finished);
        foreach (var s in Enum.GetValues<RequestState>())
            Assert.Throws<InvalidOperationException>(() => r.MoveTo(s)); // terminal
        foreach (var from in Enum.GetValues<RequestState>().Where(s => !s.IsTerminal()))
            Assert.True(RequestTransitions.IsAllowed(from, RequestState.Aborted), $"{from} cannot be aborted");
    }
}
