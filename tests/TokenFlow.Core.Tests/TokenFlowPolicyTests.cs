using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Tests;

/// <summary>The tokenflow policy's switch-cost rule and whole-load guard on hand-built states.</summary>
public sealed class TokenFlowPolicyTests
{
    private static readonly EngineOptions Options = new()
    {
        MaxNumSeqs = 64,
        MaxBatchedTokens = 2048,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 1000, HostBlocks = 4000 },
    };

    private static (SchedulerContext Ctx, VirtualClock Clock) HandBuilt(double linkBytesPerSecond)
    {
        var clock = new VirtualClock();
        var link = new LinkModel(linkBytesPerSecond, 0, 0);
        var kv = new KvCacheManager(Options.Kv, new VirtualTransferEngine(clock, link, link), 1 << 20);
        var ctx = new SchedulerContext(Options, kv, new EngineEstimates(0.02, 1e-4, 1e-4), [], [], new EngineCounters());
        return (ctx, clock);
    }

    private static Request Running(SchedulerContext ctx, int prompt, int generated, double rate)
    {
        var r = TestRig.MakeRequest($"r{ctx.Active.Count}", prompt, 1000, rate, seed: ctx.Active.Count);
        r.State = RequestState.Prefilling;
        r.State = RequestState.Running;
        for (var i = 0; i < generated; i++) r.AppendToken(5, 0);
        Assert.True(ctx.Kv.TryEnsureCapacity(r, r.TotalTokens));
        r.NumComputed = r.TotalTokens - 1;
        ctx.ActiveList.Add(r);
        return r;
    }

    private static void Waiting(SchedulerContext ctx, int count, int prompt)
    {
        for (var i = 0; i < count; i++)
        {
            var r = TestRig.MakeRequest($"w{i}", prompt, 100, 5, arrival: 0, seed: i);
            ctx.WaitingList.Add(r);
            ctx.Counters.SubmittedPromptTokens += prompt;
            ctx.Counters.SubmittedRequests++;
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

    /// <summary>A stream paused on the host (200-token context: 13 blocks of 1 MiB) whose reader has <paramref name="generated"/>−1 tokens left at 10 tok/s.</summary>
    private static (SchedulerContext, Request) PausedOnHost(double bandwidth, int generated)
    {
        var (ctx, clock) = HandBuilt(bandwidth);
        var r = Running(ctx, 200, generated, 10);
        ctx.Kv.Preempt(r, PreemptMode.Offload);
        Drain(ctx, clock);
        ctx.Now = 0;
        Assert.Equal(RequestState.PausedOnHost, r.State);
        return (ctx, r);
    }

    [Fact]
    public void A_stream_on_the_host_with_slack_for_the_copy_comes_back_by_copy_even_when_recompute_is_faster()
    {
        // 100 MB/s: the copy back takes ~0.14 s; recomputing 200+ tokens at 0.1 ms each takes ~0.04 s.
        var (ctx, r) = PausedOnHost(1e8, generated: 51); // 5 s of slack
        var costs = SwitchCosts.Measure(ctx, 0, computeHeadroom: true);
        Assert.True(costs.Recompute(ctx, r.NumComputed) < costs.ReturnSeconds(ctx, r), "the setup must make recompute the faster option");
        Assert.True(costs.ReturnSeconds(ctx, r) < r.Reader.Slack(0));
        Assert.Equal(PreemptMode.Offload, costs.ResumeMode(ctx, r));
        Assert.Equal(PreemptMode.Offload, TokenFlowScheduler.ChooseResume(ctx, r));
    }

    [Fact]
    public void A_stream_about_to_run_dry_is_recomputed_only_when_compute_has_headroom()
    {
        var (ctx, r) = PausedOnHost(1e8, generated: 1); // no slack: the copy cannot land in time
        Assert.Equal(PreemptMode.Recompute, SwitchCosts.Measure(ctx, 0, computeHeadroom: true).ResumeMode(ctx, r));
        Assert.Equal(PreemptMode.Offload, SwitchCosts.Measure(ctx, 0, computeHeadroom: false).ResumeMode(ctx, r));
        // A long prefill queue makes recompute slower than the copy: copy again.
        Assert.Equal(PreemptMode.Offload, SwitchCosts.Measure(ctx, 100_000, computeHeadroom: true).ResumeMode(ctx, r));
    }

    [Theory]
    [InlineData(5, true)]      // 5 prompts of 1,000 tokens: well inside the prefill rate
    [InlineData(1_000, false)] // 1M prompt tokens against 10,000 tokens/s of prefill: overload
    public void Under_a_prefill_backlog_past_capacity_no_newcomer_is_admitted_by_pausing(int waiting, bool expectSwitching)
    {
        var (ctx, _) = HandBuilt(25e9);
        for (var i = 0; i < 50; i++) Running(ctx, 100, 200, 5); // 50 streams of 19 blocks, 40 s of slack each: all qualify as victims
        Waiting(ctx, waiting, 1000);
        ctx.Now = 0;
        var policy = new TokenFlowScheduler(new TokenFlowOptions());
        policy.Schedule(ctx, new List<ScheduledSequence>());
        Assert.Equal(!expectSwitching, policy.Guard.Overloaded);
        if (expectSwitching)
        {
            Assert.True(ctx.Counters.SwapPreemptions > 0, "with headroom, newcomers get in by switching out deep buffers");
            Assert.True(ctx.Waiting.Count < waiting);
        }
        else
        {
            Assert.Equal(0, ctx.Counters.SwapPreemptions + ctx.Counters.RecomputePreemptions);
            Assert.All(ctx.Active, r => Assert.NotEqual(RequestState.Offloading, r.State));
            Assert.Equal(1, policy.GuardFallbacks);
        }
    }

    [Fact]
    public void The_overload_regime_has_hysteresis()
    {
        var options = new TokenFlowOptions { OverloadExitLoad = 0.8, OverloadDwell = 10, BacklogHorizon = 30 };
        var guard = new OverloadGuard(options);
        // Prefill cost 1e-4 s/token: a backlog of B tokens alone is a load of B·1e-4/30.
        LoadSample At(double t, double load) => new(t, 0, (long)(load * 30 / 1e-4), 0, 1000, 1e-4);
        Assert.False(guard.Update(At(0, 0.5)));
        Assert.True(guard.Update(At(1, 1.2)));
        Assert.Equal(1, guard.Entries);
        Assert.True(guard.Update(At(2, 0.9)));   // below the entry mark, above the exit mark: stays
        Assert.True(guard.Update(At(3, 0.5)));   // calm starts
        Assert.True(guard.Update(At(8, 0.5)));   // calm for 5 s: not yet
        Assert.True(guard.Update(At(9, 0.95))); // a spike resets the calm
        Assert.True(guard.Update(At(10, 0.5)));
        Assert.True(guard.Update(At(19, 0.5)));
        Assert.False(guard.Update(At(20.5, 0.5))); // calm for 10.5 s: leaves
        Assert.False(guard.Update(At(21, 0.95))); // below the entry mark: does not re-enter
        Assert.True(guard.Update(At(22, 1.1)));
        Assert.Equal(2, guard.Entries);
    }

    [Fact]
    public void The_decode_side_trips_the_guard_when_readers_outrun_capacity()
    {
        var guard = new OverloadGuard(new TokenFlowOptions());
        Assert.False(guard.Update(new LoadSample(0, 0, 0, ReaderRates: 900, DecodeCapacity: 1000, PrefillSecondsPerToken: 1e-4)));
        Assert.True(guard.Update(new LoadSample(1, 0, 0, ReaderRates: 1100, DecodeCapacity: 1000, PrefillSecondsPerToken: 1e-4)));
        Assert.False(new OverloadGuard(new TokenFlowOptions { SchedulabilityGuard = false })
            .Update(new LoadSample(0, 0, 0, ReaderRates: 1e6, DecodeCapacity: 1000, PrefillSecondsPerToken: 1e-4)));
    }
}
