using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// First come, first served with continuous batching, as SGLang and vLLM do.
/// <list type="bullet">
/// <item>Prefill-first (SGLang's default, the paper's main baseline): whole new prompts run in their
/// own iteration; a request is admitted only if the memory left covers the running requests'
/// expected future tokens, estimated as remaining max_tokens × a new-token ratio that starts at 0.7,
/// decays to 0.1 and resets when memory runs out (SGLang's <c>new_token_ratio</c>).</item>
/// <item>Chunked (vLLM V1): decodes first, then prompt chunks under the token budget; admission
/// keeps only a small free-block watermark.</item>
/// </list>
/// Under memory pressure both preempt the newest running request by recompute.
/// </summary>
public sealed class FcfsScheduler : IScheduler
{
    private readonly FutureTokenReservation _reservation = new();

    public string Name => "fcfs";
    public bool UsesHostTier => false;
    public double NextDecisionTime => double.PositiveInfinity;

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        var budget = ctx.Options.MaxBatchedTokens;
        var preemptionsBefore = ctx.Counters.RecomputePreemptions;
        if (!ctx.Options.ChunkedPrefill)
        {
            AdmitAndPrefill(ctx, batch, ref budget, _reservation);
            if (batch.Count == 0) Decode(ctx, batch, ref budget);
        }
        else
        {
            Decode(ctx, batch, ref budget);
            AdmitAndPrefill(ctx, batch, ref budget, null);
        }
        _reservation.Update(ctx, batch, ctx.Counters.RecomputePreemptions > preemptionsBefore);
    }

    /// <summary>
    /// Continues partial prefills, then resumes dropped requests and admits new ones in arrival
    /// order while memory allows (head-of-line blocking, as FCFS does).
    /// </summary>
    internal static void AdmitAndPrefill(SchedulerContext ctx, List<ScheduledSequence> batch, ref int budget, FutureTokenReservation? reservation)
    {
        var maxSeqs = ctx.Options.MaxNumSeqs;
        ctx.ContinuePrefills(batch, ref budget);
        if (batch.Count >= maxSeqs || budget <= 0) return;
        var watermark = ctx.WatermarkBlocks;
        var resident = CountResident(ctx);
        var reserved = reservation?.ReservedBlocks(ctx) ?? 0;
        foreach (var r in NextInLine(ctx))
        {
            if (batch.Count >= maxSeqs || resident >= maxSeqs || budget <= 0) return;
            var need = ctx.PrefillBlocks(r);
            var future = reservation?.BlocksFor(ctx, r) ?? 0;
            if (ctx.Kv.DeviceAvailable - need - future - reserved < watermark) return;
            if (!ctx.Options.ChunkedPrefill && r.RemainingToCompute > budget && batch.Count > 0) return;
            if (r.State == RequestState.Waiting) ctx.Admit(r);
            else ctx.Resume(r, PreemptMode.Recompute);
            resident++;
            reserved += future;
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
                var victim = ctx.NewestResidentNotInBatch();
                if (victim is null || victim == r)
                {
                    ctx.Preempt(r, PreemptMode.Recompute);
                    break;
                }
                ctx.Preempt(victim, PreemptMode.Recompute);
            }
            if (ctx.InBatch(r)) budget--;
        }
    }

    /// <summary>Dropped requests first (they arrived earlier), then new ones; both in arrival order.</summary>
    internal static IEnumerable<Request> NextInLine(SchedulerContext ctx)
    {
        for (var i = 0; i < ctx.Active.Count; i++)
            if (ctx.Active[i].State == RequestState.PausedDropped) yield return ctx.Active[i];
        // Admission removes from Waiting, so always look at its head.
        var skipped = 0;
        while (ctx.Waiting.Count > skipped)
        {
            var r = ctx.Waiting[skipped];
            yield return r;
            if (r.State == RequestState.Waiting) skipped++;
        }
    }

    internal static int CountResident(SchedulerContext ctx)
    {
        var n = 0;
        foreach (var r in ctx.Active) if (r.State.IsResident() || r.State == RequestState.Loading) n++;
        return n;
    }
}
