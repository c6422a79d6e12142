using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// Prices switching a stream off or back onto the device by the resource each option burns
/// (design §4, step 3):
/// <list type="bullet">
/// <item>a copy spends the PCIe lane, which no other stream needs; it costs its queue time plus its
/// transfer time;</item>
/// <item>a recompute spends compute, which the whole batch needs; it costs the prefill work already
/// queued plus its own, at the measured per-token prefill latency.</item>
/// </list>
/// The rule: evictions go to the host by copy (the KV manager falls back to recompute only when the
/// host tier is full or offload is off). A stream whose KV is on the host comes back by copy; it is
/// recomputed only when the copy cannot land before its reader runs dry, the recompute would land
/// sooner, and compute has headroom. Measured once per decision.
/// </summary>
internal readonly record struct SwitchCosts(double LoadQueue, double OffloadQueue, double ToDevice, double ToHost, long QueuedPrefill, bool ComputeHeadroom)
{
    public static SwitchCosts Measure(SchedulerContext ctx, long queuedPrefill, bool computeHeadroom)
    {
        var t = ctx.Kv.Transfers;
        return new SwitchCosts(t.EstimateCompletionDelay(TransferKind.Load, 0), t.EstimateCompletionDelay(TransferKind.Offload, 0),
            Math.Max(1, t.Bandwidth(toHost: false)), Math.Max(1, t.Bandwidth(toHost: true)), queuedPrefill, computeHeadroom);
    }

    public bool IsMeasured => ToHost > 0;

    public double Load(long bytes) => LoadQueue + bytes / ToDevice;
    public double Offload(long bytes) => OffloadQueue + bytes / ToHost;

    public double Recompute(SchedulerContext ctx, int tokens) =>
        ctx.Estimates.RecomputeSeconds((int)Math.Min(int.MaxValue, QueuedPrefill + tokens), ctx.Options.MaxBatchedTokens);

    /// <summary>Seconds until a paused stream could decode again: its copy back, or its recompute when dropped.</summary>
    public double ReturnSeconds(SchedulerContext ctx, Request r) => r.State == RequestState.PausedDropped
        ? Recompute(ctx, r.TotalTokens)
        : Load(ctx.Kv.BlocksFor(r.NumComputed) * ctx.Kv.BytesPerBlock);

    /// <summary>Seconds to write a resident stream's unsynced tail to the host.</summary>
    public double TailSeconds(SchedulerContext ctx, Request r) =>
        Offload(ctx.Kv.BlocksFor(r.NumComputed - ctx.Kv.SyncedTokens(r)) * ctx.Kv.BytesPerBlock);

    /// <summary>How a paused stream comes back (the rule above).</summary>
    public PreemptMode ResumeMode(SchedulerContext ctx, Request r)
    {
        if (r.State != RequestState.PausedOnHost) return PreemptMode.Recompute;
        if (!ComputeHeadroom) return PreemptMode.Offload;
        var copy = ReturnSeconds(ctx, r);
        if (copy <= r.Reader.Slack(ctx.Now)) return PreemptMode.Offload;
        return Recompute(ctx, r.NumComputed) < copy ? PreemptMode.Recompute : PreemptMode.Offload;
    }
}
