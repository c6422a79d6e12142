using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>Step 1 of design §4: the working set (re-plan, admission, making room on the device).</summary>
public sealed partial class TokenFlowScheduler
{
    private readonly List<Request> _victims = new();
    private long _victimsAt = -1;
    private int _nextVictim;

    private void Replan(SchedulerContext ctx, bool overloaded)
    {
        Replans++;
        if (overloaded)
        {
            // The load outruns the hardware, so balancing buffers cannot help (every switch would
            // only move starvation around): admit nothing more and serve first come, first served.
            GuardFallbacks++;
            RelieveStarving(ctx);
            return;
        }
        var sumRates = _counts.SumRates;
        Admit(ctx, ref sumRates, DecodeCapacity(ctx));
        Balance(ctx);
    }

    /// <summary>
    /// Overloaded: no balancing, but a paused stream about to run dry may still take the place of a
    /// running one whose buffer is far ahead (above the high-water slack), oldest arrival first. The
    /// gap between the two marks keeps a stream on the device long enough to pay for its switch.
    /// </summary>
    private void RelieveStarving(SchedulerContext ctx)
    {
        if (_counts.Paused == 0) return;
        var now = ctx.Now;
        var low = options.CriticalSlack + options.ReplanInterval;
        var deep = _order;
        deep.Clear();
        foreach (var r in ctx.Active)
            if (r.State == RequestState.Running && r.Reader.Slack(now) > options.OverloadHighWaterSlack && IsVictim(ctx, r)) deep.Add(r);
        if (deep.Count == 0) return;
        deep.Sort((a, b) => b.Reader.Slack(now).CompareTo(a.Reader.Slack(now)));
        var next = 0;
        foreach (var r in ctx.Active) // arrival order
        {
            if (r.State is not (RequestState.PausedOnHost or RequestState.PausedDropped) || r.Reader.Slack(now) >= low) continue;
            var need = ctx.Kv.BlocksFor(r.TotalTokens) + GrowthBlocks(ctx, r) + ctx.WatermarkBlocks;
            while (ctx.Kv.DeviceAvailableSoon < need && next < deep.Count) Evict(ctx, deep[next++]);
            if (ctx.Kv.DeviceAvailableSoon < need) return;
            Resume(ctx, r);
        }
    }

    /// <summary>Grows the working set in arrival order, switching out streams whose buffers cover the switch.</summary>
    private void Admit(SchedulerContext ctx, ref double sumRates, double capacity)
    {
        var beta = MeanFootprintBlocks(ctx);
        var wStatic = Math.Max(1, (int)((ctx.Kv.Device.Total + ctx.Kv.Host.Total) / beta));
        var resident = FcfsScheduler.CountResident(ctx);
        var wScheduled = resident < wStatic ? wStatic - options.WorkingSetDecay * (wStatic - resident) : wStatic;
        // Streams already paused that would run dry before the next re-plan keep first claim on
        // device room: a newcomer is admitted only beyond what they need to come back.
        var watermark = ctx.WatermarkBlocks + UrgentPausedBlocks(ctx);
        var pending = PendingPrefillBlocks(ctx);
        while (ctx.Waiting.Count > 0 && ctx.Active.Count < wScheduled)
        {
            var r = ctx.Waiting[0];
            if (options.SchedulabilityGuard && sumRates + r.Rate > capacity) return;
            var prompt = ctx.PrefillBlocks(r);
            var need = pending + prompt + GrowthBlocks(ctx, r) + watermark;
            var slots = resident + 1 - ctx.Options.MaxNumSeqs;
            if ((ctx.Kv.DeviceAvailableSoon < need || slots > 0) && !MakeRoom(ctx, need, slots)) return;
            ctx.Admit(r);
            pending += Math.Max(0, prompt);
            sumRates += r.Rate;
            resident = FcfsScheduler.CountResident(ctx);
        }
    }

    /// <summary>Device blocks that paused streams about to run dry need to come back.</summary>
    private int UrgentPausedBlocks(SchedulerContext ctx)
    {
        if (_counts.Paused == 0) return 0;
        var sum = 0;
        var horizon = options.CriticalSlack + options.ReplanInterval;
        foreach (var r in ctx.Active)
            if (r.State is RequestState.PausedOnHost or RequestState.PausedDropped && r.Reader.Slack(ctx.Now) - _costs.ReturnSeconds(ctx, r) < horizon)
                sum += ctx.Kv.BlocksFor(r.TotalTokens) + GrowthBlocks(ctx, r);
        return sum;
    }

    /// <summary>
    /// Evicts qualifying victims, deepest buffer first, until <paramref name="need"/> blocks are free
    /// (or soon free) and at least <paramref name="slots"/> sequences have left the device.
    /// </summary>
    private bool MakeRoom(SchedulerContext ctx, int need, int slots)
    {
        if (_victimsAt != 0)
        {
            // Candidates are found and ranked once per decision, then taken from the front.
            _victimsAt = 0;
            _victims.Clear();
            _nextVictim = 0;
            foreach (var r in ctx.Active)
                if (r.State == RequestState.Running && !ctx.InBatch(r) && IsVictim(ctx, r)) _victims.Add(r);
            var now = ctx.Now;
            _victims.Sort((a, b) => b.Reader.Slack(now).CompareTo(a.Reader.Slack(now)));
        }
        var freeable = ctx.Kv.DeviceAvailableSoon;
        var take = _nextVictim;
        while ((freeable < need || take - _nextVictim < slots) && take < _victims.Count)
            if (_victims[take++].State == RequestState.Running) freeable += ctx.Kv.DeviceBlockTable(_victims[take - 1]).Count;
        if (freeable < need || take - _nextVictim < slots) return false;
        for (; _nextVictim < take; _nextVictim++)
            if (_victims[_nextVictim].State == RequestState.Running) Evict(ctx, _victims[_nextVictim]);
        return true;
    }

    /// <summary>β: mean KV footprint of a request in blocks, from finished requests once there are some.</summary>
    private static double MeanFootprintBlocks(SchedulerContext ctx)
    {
        var c = ctx.Counters;
        if (c.FinishedRequests > 0) return Math.Max(1, (double)c.FinishedContextTokens / c.FinishedRequests / ctx.Kv.BlockSize);
        double sum = 0;
        var n = 0;
        foreach (var r in ctx.Active) { sum += r.PromptLength + r.MaxTokens; n++; }
        foreach (var r in ctx.Waiting) { sum += r.PromptLength + r.MaxTokens; n++; }
        return n == 0 ? 1 : Math.Max(1, sum / n / ctx.Kv.BlockSize);
    }
}
