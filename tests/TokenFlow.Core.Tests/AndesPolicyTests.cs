using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Tests;

/// <summary>The andes baseline's QoE gain, knapsack and preemption bound on hand-built states.</summary>
public sealed class AndesPolicyTests
{
    private static readonly EngineOptions Options = new()
    {
        MaxNumSeqs = 64,
        MaxBatchedTokens = 2048,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 100, HostBlocks = 400 },
    };

    private static SchedulerContext HandBuilt(double now)
    {
        var clock = new VirtualClock();
        var link = new LinkModel(25e9, 0, 0);
        var kv = new KvCacheManager(Options.Kv, new VirtualTransferEngine(clock, link, link), 1 << 20);
        return new SchedulerContext(Options, kv, new EngineEstimates(0.02, 1e-4, 1e-4), [], [], new EngineCounters()) { Now = now };
    }

    /// <summary>A running stream whose <paramref name="generated"/> tokens all arrived 0.1 s ago, read at 10 tok/s.</summary>
    private static Request Running(SchedulerContext ctx, int prompt, int generated, int left = 20)
    {
        var r = TestRig.MakeRequest($"r{ctx.Active.Count}", prompt, generated + left, 10, seed: ctx.Active.Count); // by default near its end: little future-token reserve
        r.State = RequestState.Prefilling;
        r.State = RequestState.Running;
        for (var i = 0; i < generated; i++) r.AppendToken(5, ctx.Now - 0.1);
        Assert.True(ctx.Kv.TryEnsureCapacity(r, r.TotalTokens));
        r.NumComputed = r.TotalTokens - 1;
        ctx.ActiveList.Add(r);
        return r;
    }

    [Fact]
    public void The_knapsack_picks_by_gain_per_block_skipping_what_does_not_fit()
    {
        // Densities: a 1, b 2, c 1, d 3. Capacity 8: d (1) and b (3) fit, a (10) does not, c (4) fills the rest.
        AndesItem[] items = [new(10, 10, 0), new(6, 3, 1), new(4, 4, 2), new(3, 1, 3)];
        List<int> picked = [], scratch = [];
        AndesKnapsack.Select(items, 8, 10, picked, scratch);
        Assert.Equal([3, 1, 2], picked);
        AndesKnapsack.Select(items, 8, 2, picked, scratch); // the batch-size limit
        Assert.Equal([3, 1], picked);
        AndesKnapsack.Select([new(2, 2, 0), new(1, 1, 1)], 1, 10, picked, scratch); // equal density: the earlier one, which does not fit, is skipped
        Assert.Equal([1], picked);
    }

    [Fact]
    public void A_stream_ahead_of_its_expected_timeline_gains_nothing_and_one_behind_or_overdue_gains()
    {
        var ctx = HandBuilt(10);
        var full = Running(ctx, 100, 200);
        var dry = Running(ctx, 100, 3);
        var late = TestRig.MakeRequest("w", 100, 100, 10);
        var fresh = TestRig.MakeRequest("f", 100, 100, 10, arrival: 10);
        Assert.Equal(0, AndesQoe.Gain(full, 10, 0.5, 0.02, 0, 1.0, 100));
        Assert.True(AndesQoe.Gain(dry, 10, 0.5, 0.02, 0, 1.0, 100) > 0);
        Assert.True(AndesQoe.Gain(late, 10, 0.5, 0.02, 0.05, 1.0, 100) > 0);
        Assert.Equal(0, AndesQoe.Gain(fresh, 10, 0.5, 0.02, 0.05, 1.0, 100)); // still within its expected TTFT
    }

    /// <summary>92 of 100 blocks in use: two streams ahead of their expected timeline (32 blocks each), two behind it (7 and 21); a newcomer 10 s overdue (13).</summary>
    private static (SchedulerContext, Request[], Request) UnderPressure(long submitted, int left = 20)
    {
        var ctx = HandBuilt(10);
        Request[] running = [Running(ctx, 300, 200, left), Running(ctx, 300, 200, left), Running(ctx, 100, 3, left), Running(ctx, 300, 20, left)];
        var w = TestRig.MakeRequest("w", 200, 100, 10);
        ctx.WaitingList.Add(w);
        ctx.Counters.SubmittedRequests = submitted;
        return (ctx, running, w);
    }

    [Fact]
    public void Under_pressure_the_knapsack_preempts_a_zero_gain_stream_for_an_overdue_newcomer()
    {
        var (ctx, running, w) = UnderPressure(submitted: 10); // P = 0.1 per request: one preemption allowed
        var andes = new AndesScheduler(new AndesOptions());
        Assert.True(andes.UnderPressure(ctx));
        andes.Decide(ctx);
        // At t = 10 s the expected timeline is at token 91: the two 200-token buffers are ahead of it (no gain),
        // the 3- and 20-token streams behind it. The online cap allows one preemption (the driest stream's 0.1 s
        // slack covers one recompute of a mean context). The victims with no gain tie; the newer goes, and the
        // newcomer takes its room.
        Assert.Equal(1, andes.DecisionPreemptions);
        Assert.Equal(RequestState.PausedDropped, running[1].State);
        Assert.Equal(RequestState.Prefilling, w.State);
        Assert.All(new[] { running[0], running[2], running[3] }, r => Assert.Equal(RequestState.Running, r.State));
    }

    [Fact]
    public void The_preemption_frequency_cap_stops_preemption()
    {
        var (ctx, running, w) = UnderPressure(submitted: 9); // P = 0.1 per request: no preemption yet
        var andes = new AndesScheduler(new AndesOptions());
        andes.Decide(ctx);
        Assert.Equal(0, andes.DecisionPreemptions);
        Assert.Equal(0, ctx.Counters.RecomputePreemptions);
        Assert.Equal(RequestState.Waiting, w.State);
        Assert.All(running, r => Assert.Equal(RequestState.Running, r.State));
    }

    [Fact]
    public void No_stream_is_preempted_for_a_newcomer_that_could_not_be_admitted()
    {
        // 800 tokens left to each resident: fcfs's reserve for them (~140 blocks) exceeds the pool, so
        // even with a victim's room the newcomer would not be admitted, and nobody is preempted for it.
        var (ctx, running, w) = UnderPressure(submitted: 10, left: 800);
        var andes = new AndesScheduler(new AndesOptions());
        andes.Decide(ctx);
        Assert.Equal(0, andes.DecisionPreemptions);
        Assert.Equal(RequestState.Waiting, w.State);
        Assert.All(running, r => Assert.Equal(RequestState.Running, r.State));
    }

    [Fact]
    public void Without_pressure_nothing_is_preempted_even_when_newcomers_are_overdue()
    {
        var ctx = HandBuilt(10);
        Running(ctx, 300, 200);
        ctx.WaitingList.Add(TestRig.MakeRequest("w", 200, 100, 10));
        var andes = new AndesScheduler(new AndesOptions());
        Assert.False(andes.UnderPressure(ctx));
        andes.Schedule(ctx, []);
        Assert.Equal(0, andes.Decisions);
        Assert.Equal(0, ctx.Counters.RecomputePreemptions);
    }

    [Fact]
    public void On_a_full_pool_the_cap_holds_and_recompute_stays_near_fcfs()
    {
        // 200 streams of 300 + 200 tokens through 250 blocks: at most 8 fit at once.
        var options = new EngineOptions { MaxNumSeqs = 32, MaxBatchedTokens = 1024, Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 250, HostBlocks = 1000 } };
        Request[] Workload() => Enumerable.Range(0, 200).Select(i => TestRig.MakeRequest($"s{i}", 300, 200, 10, arrival: i * 0.05, seed: i)).ToArray();
        var andes = new AndesScheduler(new AndesOptions());
        var rig = new TestRig(andes, options);
        var served = Workload();
        rig.Run(served);
        var fcfs = new TestRig(new FcfsScheduler(), options);
        fcfs.Run(Workload());
        Assert.All(served, r => Assert.Equal(200, r.Generated));
        Assert.True(andes.Decisions > 0, "the pool must come under pressure");
        var cap = andes.Options.PreemptionsPerRequest * 200;
        Assert.True(andes.DecisionPreemptions <= cap, $"{andes.DecisionPreemptions} chosen preemptions");
        var a = rig.Engine.Counters.RecomputePreemptions;
        var f = fcfs.Engine.Counters.RecomputePreemptions;
        Assert.True(a <= 3 * f + cap, $"andes {a} recompute preemptions, fcfs {f}");
    }
}
