using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// The QoE-aware baseline (design §4): every interval it greedily picks the requests with the
/// highest QoE gain per KV block. A request's gain is the stall (or first-token delay) it avoids by
/// being served in the next interval. Requests not picked are preempted by recompute when the
/// picked ones need their memory; between decisions it batches like FCFS.
/// </summary>
public sealed class AndesScheduler(AndesOptions options) : IScheduler
{
    private readonly List<(Request Request, double Priority, int Blocks)> _candidates = new();
    private double _nextDecision = double.NegativeInfinity;

    public AndesOptions Options => options;
    public string Name => "andes";
    public bool UsesHostTier => false;
    public double NextDecisionTime => _nextDecision;

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        var contended = ctx.Waiting.Count > 0 || HasDropped(ctx);
        if (contended && ctx.Now >= _nextDecision)
        {
            Decide(ctx);
            _nextDecision = ctx.Now + options.Interval;
        }
        if (!contended) _nextDecision = double.PositiveInfinity;
        else if (double.IsPositiveInfinity(_nextDecision)) _nextDecision = ctx.Now;

        var budget = ctx.Options.MaxBatchedTokens;
        if (!ctx.Options.ChunkedPrefill)
        {
            FcfsScheduler.AdmitAndPrefill(ctx, batch, ref budget, null);
            if (batch.Count == 0) FcfsScheduler.Decode(ctx, batch, ref budget);
        }
        else
        {
            FcfsScheduler.Decode(ctx, batch, ref budget);
            FcfsScheduler.AdmitAndPrefill(ctx, batch, ref budget, null);
        }
    }

    private void Decide(SchedulerContext ctx)
    {
        var dt = options.Interval;
        var now = ctx.Now;
        _candidates.Clear();
        foreach (var r in ctx.Active)
        {
            if (r.State is not (RequestState.Running or RequestState.PausedDropped)) continue;
            var slack = r.Reader.Slack(now);
            var gain = Math.Max(0, dt - slack) + 1e-3; // stall avoided; a sliver so that ties keep the running
            var blocks = Math.Max(1, ctx.Kv.BlocksFor(r.TotalTokens));
            _candidates.Add((r, gain / blocks, blocks));
        }
        foreach (var r in ctx.Waiting)
        {
            var blocks = Math.Max(1, ctx.Kv.BlocksFor(r.TotalTokens));
            _candidates.Add((r, dt / blocks, blocks)); // every interval in the queue delays its first token by dt
        }
        _candidates.Sort((a, b) => b.Priority.CompareTo(a.Priority));

        var capacity = ctx.Kv.Device.Total - ctx.WatermarkBlocks;
        var used = 0;
        var picked = new HashSet<Request>();
        foreach (var (r, _, blocks) in _candidates)
        {
            if (picked.Count >= ctx.Options.MaxNumSeqs) break;
            if (used + blocks > capacity) continue;
            used += blocks;
            picked.Add(r);
        }
        // Free memory for the picked newcomers by recomputing the lowest-priority residents not picked.
        var needed = 0;
        foreach (var r in picked) if (!r.State.IsResident()) needed += ctx.Kv.BlocksFor(r.TotalTokens);
        // Andes bounds the damage of preemption: a victim must have enough buffer to ride out its own
        // recompute, and at most a fraction of the running set is preempted per decision.
        var cap = Math.Max(1, (int)(options.MaxPreemptFraction * FcfsScheduler.CountResident(ctx)));
        for (var i = _candidates.Count - 1; i >= 0 && ctx.Kv.DeviceAvailable < needed && cap > 0; i--)
        {
            var r = _candidates[i].Request;
            if (picked.Contains(r) || r.State != RequestState.Running) continue;
            var recompute = ctx.Estimates.RecomputeSeconds(r.TotalTokens, ctx.Options.MaxBatchedTokens);
            if (r.Reader.Slack(now) < 2 * (recompute + dt)) continue;
            ctx.Preempt(r, PreemptMode.Recompute);
            cap--;
        }
        foreach (var (r, _, _) in _candidates)
        {
            if (!picked.Contains(r) || ctx.Kv.DeviceAvailable < ctx.PrefillBlocks(r)) continue;
            if (r.State == RequestState.Waiting) ctx.Admit(r);
            else if (r.State == RequestState.PausedDropped) ctx.Resume(r, PreemptMode.Recompute);
        }
    }

    private static bool HasDropped(SchedulerContext ctx)
    {
        foreach (var r in ctx.Active) if (r.State == RequestState.PausedDropped) return true;
        return false;
    }
}
