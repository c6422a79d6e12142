using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Tests;

public sealed class SchedulerTests
{
    private static readonly EngineOptions Tight = new()
    {
        MaxNumSeqs = 64,
        MaxBatchedTokens = 2048,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 96, HostBlocks = 2000 },
    };

    private static (SchedulerContext Ctx, VirtualClock Clock) HandBuilt(double linkBytesPerSecond, EngineOptions? options = null)
    {
        options ??= Tight with { Kv = Tight.Kv with { DeviceBlocks = 1000 } };
        var clock = new VirtualClock();
        var link = new LinkModel(linkBytesPerSecond, 0, 0);
        var kv = new KvCacheManager(options.Kv, new VirtualTransferEngine(clock, link, link), 1 << 20, KvStateTransitions.Instance);
        var ctx = new SchedulerContext(options, kv, new EngineEstimates(0.02, 1e-4, 1e-4), [], [], new EngineCounters());
        return (ctx, clock);
    }

    /// <summary>A running request with <paramref name="generated"/> tokens delivered at t=0 (so its buffer at t=0 is generated−1).</summary>
    private static Request Running(SchedulerContext ctx, int prompt, int generated, double rate)
    {
        var r = TestRig.MakeRequest($"r{ctx.Active.Count}", prompt, 1000, rate);
        r.MoveTo(RequestState.Prefilling);
        r.MoveTo(RequestState.Running);
        for (var i = 0; i < generated; i++) r.AppendToken(5, 0);
        Assert.True(ctx.Kv.TryEnsureCapacity(r, r.TotalTokens));
        r.NumComputed = r.TotalTokens - 1;
        ctx.ActiveList.Add(r);
        return r;
    }

    [Fact]
    public void VictimOnlyWhenBufferCoversTheSwitch()
    {
        // 1 GB/s, no overheads: 32 blocks of 1 MiB take ~33 ms each way; τ_schedule = 0.5 s.
        var (ctx, _) = HandBuilt(1e9);
        ctx.Now = 0;
        var options = new TokenFlowOptions { BufferConservativeness = 2, CriticalSlack = 0.1 };
        var policy = new TokenFlowScheduler(options);
        var r = Running(ctx, 500, 1, 10);
        var tauEvict = ctx.Kv.Transfers.EstimateCompletionDelay(TransferKind.Offload, ctx.Kv.BlocksFor(r.NumComputed) * ctx.Kv.BytesPerBlock);
        var tauLoad = ctx.Kv.Transfers.EstimateCompletionDelay(TransferKind.Load, ctx.Kv.BlocksFor(r.NumComputed) * ctx.Kv.BytesPerBlock);
        var required = 2 * 10 * (tauEvict + tauLoad + 0.5);
        Assert.InRange(required, 10, 12);

        var shallow = Running(ctx, 500, (int)Math.Floor(required), 10); // buffer = floor(required) − 1 < required
        var deep = Running(ctx, 500, (int)Math.Ceiling(required) + 1, 10); // buffer ≥ required
        Assert.False(policy.IsVictim(ctx, shallow));
        Assert.True(policy.IsVictim(ctx, deep));

        // A more conservative μ needs a deeper buffer.
        Assert.False(new TokenFlowScheduler(options with { BufferConservativeness = 20 }).IsVictim(ctx, deep));
    }

    [Fact]
    public void BufferCriticalStreamsAreNeverVictims()
    {
        var (ctx, _) = HandBuilt(1e12);
        var policy = new TokenFlowScheduler(new TokenFlowOptions { BufferConservativeness = 1, CriticalSlack = 5 });
        var r = Running(ctx, 16, 41, 10); // 40 tokens = 4 s of slack, below the 5 s critical mark
        Assert.False(policy.IsVictim(ctx, r));
        var ok = Running(ctx, 16, 61, 10); // 6 s
        Assert.True(policy.IsVictim(ctx, ok));
    }

    [Fact]
    public void LoadOrRecomputeFollowsTheCostComparison()
    {
        foreach (var (bandwidth, expected) in new[] { (1e12, PreemptMode.Offload), (1e5, PreemptMode.Recompute) })
        {
            var (ctx, clock) = HandBuilt(bandwidth);
            var r = Running(ctx, 200, 2, 10);
            ctx.Kv.Preempt(r, PreemptMode.Offload);
            ctx.Kv.Transfers.Poll([]); // nothing lands until the clock moves
            Drain(ctx, clock);
            Assert.Equal(RequestState.PausedOnHost, r.State);
            Assert.Equal(expected, TokenFlowScheduler.ChooseResume(ctx, r));
        }
    }

    private static void Drain(SchedulerContext ctx, VirtualClock clock)
    {
        var done = new List<TransferJob>();
        while (ctx.Kv.Transfers.NextCompletionTime is { } t)
        {
            clock.SleepUntil(t);
            done.Clear();
            ctx.Kv.Transfers.Poll(done);
            foreach (var j in done) ctx.Kv.OnTransferComplete(j);
        }
    }

    [Fact]
    public void NoStressMeansNothingIsPaused()
    {
        var policy = new TokenFlowScheduler(new TokenFlowOptions());
        var rig = new TestRig(policy, Tight with { Kv = Tight.Kv with { DeviceBlocks = 2000 } });
        var requests = Enumerable.Range(0, 6).Select(i => TestRig.MakeRequest($"q{i}", 50, 60, 10, arrival: i * 5.0, seed: i)).ToArray();
        rig.Run(requests);
        Assert.All(requests, r => Assert.Equal(RequestState.Finished, r.State));
        Assert.Equal(0, rig.Engine.Counters.SwapPreemptions);
        Assert.Equal(0, rig.Engine.Counters.RecomputePreemptions);
        Assert.Equal(0, policy.Replans);
    }

    [Fact]
    public void UnderPressureEvictionsSpareCriticalStreamsAndReadersDoNotRunDry()
    {
        var options = new TokenFlowOptions();
        var policy = new TokenFlowScheduler(options);
        var rig = new TestRig(policy, Tight);
        var evictedSlacks = new List<double>();
        var requests = Enumerable.Range(0, 24).Select(i => TestRig.MakeRequest($"b{i}", 64, 300, 5 + i % 3, seed: i)).ToArray();
        var offloadsSeen = 0L;
        rig.Run(requests, afterStep: e =>
        {
            e.ValidateKv();
            if (e.Counters.SwapPreemptions > offloadsSeen)
            {
                offloadsSeen = e.Counters.SwapPreemptions;
                foreach (var r in e.Active)
                    if (r.State is RequestState.Offloading or RequestState.PausedOnHost && r.TokenTimes.Count > 0)
                        evictedSlacks.Add(r.Reader.Slack(r.TokenTimes[^1]));
            }
        });
        Assert.All(requests, r => Assert.Equal(RequestState.Finished, r.State));
        Assert.True(rig.Engine.Counters.SwapPreemptions > 0, "the scenario should force switching");
        Assert.All(evictedSlacks, s => Assert.True(s >= options.CriticalSlack, $"evicted with {s:F2}s of slack"));
        // The device holds ~6 of 24 streams, yet with readers at 5–7 tok/s nobody should starve for long.
        var stalls = requests.Select(r => r.Reader.StallSeconds).ToArray();
        Assert.True(stalls.Average() < 1.0, $"mean stall {stalls.Average():F2}s");
        Assert.Equal(rig.Engine.Kv.Device.Total, rig.Engine.Kv.Device.FreeCount);
        Assert.Equal(rig.Engine.Kv.Host.Total, rig.Engine.Kv.Host.FreeCount);
    }

    [Fact]
    public void GuardFallsBackToFcfsWhenReadersOutrunTheHardware()
    {
        var policy = new TokenFlowScheduler(new TokenFlowOptions());
        var rig = new TestRig(policy, Tight);
        // 20 readers at 5,000 tok/s: far beyond what 96 blocks of decode can produce.
        var requests = Enumerable.Range(0, 20).Select(i => TestRig.MakeRequest($"g{i}", 64, 100, 5000, seed: i)).ToArray();
        rig.Run(requests);
        Assert.All(requests, r => Assert.Equal(RequestState.Finished, r.State));
        Assert.True(policy.GuardFallbacks > 0);
        Assert.Equal(0, rig.Engine.Counters.SwapPreemptions);
    }

    [Fact]
    public void TwoStreamsDoNotPingPong()
    {
        var options = new TokenFlowOptions();
        var policy = new TokenFlowScheduler(options);
        // Room for about one and a half streams: they must take turns, but not every re-plan.
        var tiny = Tight with { Kv = Tight.Kv with { DeviceBlocks = 40 } };
        var rig = new TestRig(policy, tiny);
        var a = TestRig.MakeRequest("a", 200, 400, 8);
        var b = TestRig.MakeRequest("b", 200, 400, 8, arrival: 0.01, seed: 1);
        var switches = new List<(string Id, double Time)>();
        var last = new Dictionary<string, RequestState>();
        rig.Run([a, b], afterStep: e =>
        {
            foreach (var r in e.Active)
            {
                if (last.TryGetValue(r.Id, out var prev) && prev == RequestState.Running && r.State is RequestState.Offloading or RequestState.PausedOnHost or RequestState.PausedDropped)
                    switches.Add((r.Id, rig.Clock.Now));
                last[r.Id] = r.State;
            }
        });
        Assert.Equal(RequestState.Finished, a.State);
        Assert.Equal(RequestState.Finished, b.State);
        Assert.NotEmpty(switches);
        // A stream switched out is not switched out again within two re-plan intervals.
        foreach (var group in switches.GroupBy(s => s.Id))
        {
            var times = group.Select(s => s.Time).ToArray();
            for (var i = 1; i < times.Length; i++)
                Assert.True(times[i] - times[i - 1] >= 2 * options.ReplanInterval, $"{group.Key} switched out at {times[i - 1]:F2}s and again at {times[i]:F2}s");
        }
        Assert.True(switches.Count < policy.Replans / 2 + 2, $"{switches.Count} switches in {policy.Replans} re-plans");
    }
}
