using Microsoft.Coyote.Random;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Concurrency.Tests;

/// <summary>
/// A policy whose preemptions and resumes are Coyote's choices, so that offloads, loads and
/// write-through are in flight whenever clients submit, abort or disconnect. Before deciding, it
/// checks the design §5 invariants on the engine thread (it sees the engine's state between steps).
/// </summary>
internal sealed class ChaosScheduler(Generator gen, TaggedArena arena) : IScheduler
{
    public string Name => "chaos";
    public double NextDecisionTime => double.PositiveInfinity;
    public bool UsesHostTier => true;
    public int Checks { get; private set; }

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        Check(ctx);
        var active = ctx.Active.ToArray();
        if (active.Length > 0 && gen.NextInteger(3) == 0)
        {
            var r = active[gen.NextInteger(active.Length)];
            if (r.State.IsResident()) ctx.Preempt(r, gen.NextBoolean() ? PreemptMode.Offload : PreemptMode.Recompute);
        }
        foreach (var r in active)
        {
            // Paused streams come back: by load or recompute, as Coyote picks (a load waits for device blocks).
            if (r.State == RequestState.PausedOnHost) ctx.Resume(r, gen.NextBoolean() ? PreemptMode.Offload : PreemptMode.Recompute);
            else if (r.State == RequestState.PausedDropped) ctx.Resume(r, PreemptMode.Recompute);
        }
        foreach (var r in ctx.Waiting.ToArray())
            if (ctx.PrefillBlocks(r) + 1 <= ctx.Kv.DeviceAvailable) ctx.Admit(r);
        var budget = ctx.Options.MaxBatchedTokens;
        foreach (var r in ctx.Active)
        {
            if (r.State == RequestState.Prefilling) budget -= ctx.TryAddPrefill(r, batch, budget);
            else if (r.State == RequestState.Running) ctx.TryAddDecode(r, batch);
        }
        if (batch.Count == 0)
        {
            // Nothing fits: free device room by recomputing the newest resident later, so no schedule stalls forever.
            var victim = ctx.NewestResidentNotInBatch();
            if (victim is not null && ctx.Kv.PendingLoadCount > 0) ctx.Preempt(victim, PreemptMode.Recompute);
        }
    }

    private void Check(SchedulerContext ctx)
    {
        Checks++;
        var live = ctx.Active.Concat(ctx.Waiting).ToArray();
        ctx.Kv.Validate(live);
        foreach (var r in live)
        {
            if (r.State.IsResident()) arena.CheckDevice(r, ctx.Kv.DeviceBlockTable(r), r.NumComputed);
            else if (r.State == RequestState.PausedOnHost) arena.CheckHost(r, ctx.Kv.HostBlockTable(r), r.NumComputed);
        }
    }
}
