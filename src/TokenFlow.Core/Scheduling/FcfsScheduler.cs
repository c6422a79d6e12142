using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// First come, first served with continuous batching, as SGLang and vLLM do. Prefill-first runs
/// whole new prompts in their own iteration (SGLang's default, the paper's main baseline); chunked
/// mode mixes prompt chunks into decode iterations under the token budget (vLLM V1). Under memory
/// pressure the newest running request is preempted by recompute.
/// </summary>
public sealed class FcfsScheduler : IScheduler
{
    private readonly List<Request> _scratch = new();

    public string Name => "fcfs";
    public double NextDecisionTime => double.PositiveInfinity;

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        var budget = ctx.Options.MaxBatchedTokens;
        if (!ctx.Options.ChunkedPrefill)
        {
            AdmitAndPrefill(ctx, batch, ref budget);
            if (batch.Count > 0) return; // prefill first: decodes wait one iteration
            Decode(ctx, batch, ref budget);
            return;
        }
        Decode(ctx, batch, ref budget);
        AdmitAndPrefill(ctx, batch, ref budget);
    }

    /// <summary>Continues partial prefills, then resumes dropped requests and admits new ones in arrival order while memory allows.</summary>
    internal static void AdmitAndPrefill(SchedulerContext ctx, List<ScheduledSequence> batch, ref int budget)
    {
        var maxSeqs = ctx.Options.MaxNumSeqs;
        foreach (var r in ctx.Active)
        {
            if (batch.Count >= maxSeqs || budget <= 0) return;
            if (r.State == RequestState.Prefilling && !InBatch(batch, r)) budget -= ctx.TryAddPrefill(r, batch, budget);
        }
        var watermark = (int)(ctx.Options.AdmissionWatermark * ctx.Kv.Device.Total);
        var resident = CountResident(ctx);
        foreach (var r in NextInLine(ctx))
        {
            if (batch.Count >= maxSeqs || resident >= maxSeqs || budget <= 0) return;
            var need = ctx.PrefillBlocks(r);
            if (ctx.Kv.DeviceAvailable - need < watermark) return; // head of line waits for memory
            if (!ctx.Options.ChunkedPrefill && r.RemainingToCompute > budget && batch.Count > 0) return;
            if (r.State == RequestState.Waiting) ctx.Admit(r);
            else ctx.Resume(r, PreemptMode.Recompute);
            resident++;
            budget -= ctx.TryAddPrefill(r, batch, budget);
        }
    }

    /// <summary>One decode step for every running request, oldest first; preempts the newest by recompute when blocks run out.</summary>
    internal static void Decode(SchedulerContext ctx, List<ScheduledSequence> batch, ref int budget)
    {
        var maxSeqs = ctx.Options.MaxNumSeqs;
        for (var i = 0; i < ctx.Active.Count; i++)
        {
            var r = ctx.Active[i];
            if (r.State != RequestState.Running || batch.Count >= maxSeqs || budget <= 0) continue;
            while (!ctx.TryAddDecode(r, batch))
            {
                var victim = NewestResident(ctx, batch);
                if (victim is null || victim == r)
                {
                    ctx.Preempt(r, PreemptMode.Recompute);
                    break;
                }
                ctx.Preempt(victim, PreemptMode.Recompute);
            }
            if (r.State == RequestState.Running) budget--;
        }
    }

    /// <summary>Dropped requests first (they arrived earlier), then new ones; both in arrival order.</summary>
    internal static IEnumerable<Request> NextInLine(SchedulerContext ctx)
    {
        var dropped = ctx.Active.Where(r => r.State == RequestState.PausedDropped).ToArray();
        foreach (var r in dropped) yield return r;
        var waiting = ctx.Waiting.ToArray();
        foreach (var r in waiting) yield return r;
    }

    private static Request? NewestResident(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        for (var i = ctx.Active.Count - 1; i >= 0; i--)
        {
            var r = ctx.Active[i];
            if (r.State.IsResident() && !InBatch(batch, r)) return r;
        }
        return null;
    }

    internal static int CountResident(SchedulerContext ctx)
    {
        var n = 0;
        foreach (var r in ctx.Active) if (r.State.IsResident() || r.State == RequestState.Loading) n++;
        return n;
    }

    internal static bool InBatch(List<ScheduledSequence> batch, Request r)
    {
        foreach (var s in batch) if (s.Request == r) return true;
        return false;
    }
}
