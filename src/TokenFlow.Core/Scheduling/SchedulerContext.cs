using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// What a policy sees and may change in one iteration: the queues, the KV cache and the engine's
/// measured estimates. Every state change goes through these methods so the queues and the
/// counters stay consistent.
/// </summary>
public sealed class SchedulerContext
{
    internal SchedulerContext(EngineOptions options, KvCacheManager kv, EngineEstimates estimates, List<Request> waiting, List<Request> active, EngineCounters counters)
    {
        Options = options;
        Kv = kv;
        Estimates = estimates;
        WaitingList = waiting;
        ActiveList = active;
        Counters = counters;
    }

    internal List<Request> WaitingList { get; }
    internal List<Request> ActiveList { get; }

    public double Now { get; internal set; }
    /// <summary>Number of the iteration being scheduled.</summary>
    public long Iteration { get; internal set; }

    /// <summary>True when the request already has a share of this iteration's batch.</summary>
    public bool InBatch(Request r) => r.BatchStamp == Iteration;
    public EngineOptions Options { get; }
    public KvCacheManager Kv { get; }
    public EngineEstimates Estimates { get; }
    public EngineCounters Counters { get; }

    /// <summary>Requests never started, in arrival order.</summary>
    public IReadOnlyList<Request> Waiting => WaitingList;

    /// <summary>Started requests not finished: resident, loading, offloading or paused, in arrival order.</summary>
    public IReadOnlyList<Request> Active => ActiveList;

    /// <summary>Moves a waiting request into the active set as a prefill. The caller ensures device room.</summary>
    public void Admit(Request r)
    {
        if (r.State != RequestState.Waiting) throw new InvalidOperationException($"cannot admit {r}");
        WaitingList.Remove(r);
        Counters.AdmittedPromptTokens += r.PromptLength;
        r.MoveTo(RequestState.Prefilling);
        InsertByArrival(ActiveList, r);
    }

    /// <summary>Preempts a resident request; returns how (offload may fall back to recompute).</summary>
    public PreemptMode Preempt(Request r, PreemptMode mode)
    {
        var done = Kv.Preempt(r, mode);
        if (done == PreemptMode.Offload) Counters.SwapPreemptions++;
        else Counters.RecomputePreemptions++;
        return done;
    }

    /// <summary>Brings a paused request back: a load from the host, or a recompute prefill.</summary>
    public void Resume(Request r, PreemptMode mode)
    {
        switch (r.State)
        {
            case RequestState.PausedOnHost when mode == PreemptMode.Offload:
                Kv.RequestLoad(r);
                Counters.Loads++;
                break;
            case RequestState.PausedOnHost:
            case RequestState.PausedDropped:
                if (r.State == RequestState.PausedOnHost) Kv.Release(r);
                Counters.RecomputedTokens += r.TotalTokens - 1;
                r.RecomputedTokens += r.TotalTokens - 1;
                r.MoveTo(RequestState.Prefilling);
                break;
            default:
                throw new InvalidOperationException($"cannot resume {r}");
        }
    }

    /// <summary>Adds the next decode step of a running request, allocating its next block. False if the device is full.</summary>
    public bool TryAddDecode(Request r, List<ScheduledSequence> batch)
    {
        if (r.State != RequestState.Running || InBatch(r)) return false;
        if (!Kv.TryEnsureCapacity(r, r.NumComputed + 1)) return false;
        batch.Add(new ScheduledSequence(r, r.NumComputed, 1, Kv.DeviceBlockTable(r)));
        r.BatchStamp = Iteration;
        return true;
    }

    /// <summary>
    /// Adds a prefill chunk of at most <paramref name="budget"/> tokens (the whole remainder when not
    /// chunked). Returns the tokens added, 0 if it does not fit.
    /// </summary>
    public int TryAddPrefill(Request r, List<ScheduledSequence> batch, int budget)
    {
        if (r.State != RequestState.Prefilling || budget <= 0 || InBatch(r)) return 0;
        var remaining = r.RemainingToCompute;
        var n = Options.ChunkedPrefill ? Math.Min(remaining, budget) : remaining;
        if (n > budget && batch.Count > 0) return 0; // an unchunked prompt over budget runs alone
        if (!Kv.TryEnsureCapacity(r, r.NumComputed + n)) return 0;
        batch.Add(new ScheduledSequence(r, r.NumComputed, n, Kv.DeviceBlockTable(r)));
        r.BatchStamp = Iteration;
        return n;
    }

    /// <summary>Device blocks kept free for decode growth when admitting (vLLM's watermark).</summary>
    public int WatermarkBlocks => (int)(Options.AdmissionWatermark * Kv.Device.Total);

    /// <summary>Adds the next chunk of every request already prefilling, in arrival order, within the batch limits.</summary>
    public void ContinuePrefills(List<ScheduledSequence> batch, ref int budget)
    {
        foreach (var r in ActiveList)
        {
            if (batch.Count >= Options.MaxNumSeqs || budget <= 0) return;
            if (r.State == RequestState.Prefilling) budget -= TryAddPrefill(r, batch, budget);
        }
    }

    /// <summary>The most recently arrived resident request not already in this iteration's batch.</summary>
    public Request? NewestResidentNotInBatch()
    {
        for (var i = ActiveList.Count - 1; i >= 0; i--)
        {
            var r = ActiveList[i];
            if (r.State.IsResident() && !InBatch(r)) return r;
        }
        return null;
    }

    /// <summary>Device blocks a request needs to prefill what remains of it.</summary>
    public int PrefillBlocks(Request r) => Kv.BlocksFor(r.TotalTokens) - (r.State.IsResident() ? Kv.DeviceBlockTable(r).Count : 0);

    internal static void InsertByArrival(List<Request> list, Request r)
    {
        var i = list.Count;
        while (i > 0 && list[i - 1].ArrivalTime > r.ArrivalTime) i--;
        list.Insert(i, r);
    }
}
