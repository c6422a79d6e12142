using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// Per-state counts and sums over the active requests, taken in one pass at the start of a
/// decision so that a policy does not rescan the active list for each figure.
/// </summary>
public readonly record struct ActiveCounts
{
    public int Prefilling { get; init; }
    public int Running { get; init; }
    /// <summary>Prefilling, running or loading: the requests holding (or about to hold) a sequence slot.</summary>
    public int Resident { get; init; }
    /// <summary>Loading, offloading, paused on the host or dropped.</summary>
    public int Paused { get; init; }
    /// <summary>Tokens still to prefill (prompts and recomputes) of requests already admitted.</summary>
    public long PrefillTokens { get; init; }
    /// <summary>Σr over the active requests, tokens/s.</summary>
    public double SumRates { get; init; }
    /// <summary>Σ blocks the active requests' KV covers (their full context).</summary>
    public long ContextBlocks { get; init; }
    /// <summary>Σ blocks of each active request's mean footprint over its life: prompt plus half its expected output, or its context if larger.</summary>
    public long LifetimeBlocks { get; init; }
    public int Count { get; init; }

    public static ActiveCounts Of(SchedulerContext ctx)
    {
        int prefilling = 0, running = 0, loading = 0, paused = 0;
        long prefill = 0, blocks = 0, lifetime = 0;
        var c = ctx.Counters;
        var meanLength = c.FinishedRequests > 0 ? (double)c.FinishedOutputTokens / c.FinishedRequests : double.PositiveInfinity;
        var rates = 0.0;
        var active = ctx.Active;
        for (var i = 0; i < active.Count; i++)
        {
            var r = active[i];
            rates += r.Rate;
            var context = ctx.Kv.BlocksFor(r.TotalTokens);
            blocks += context;
            var expected = Math.Min(r.MaxTokens, meanLength);
            lifetime += Math.Max(context, ctx.Kv.BlocksFor(r.PromptLength + (int)(expected / 2)));
            switch (r.State)
            {
                case RequestState.Prefilling: prefilling++; prefill += r.RemainingToCompute; break;
                case RequestState.Running: running++; break;
                case RequestState.Loading: loading++; paused++; break;
                default: if (r.State.IsPaused()) paused++; break;
            }
        }
        return new ActiveCounts
        {
            Prefilling = prefilling, Running = running, Resident = prefilling + running + loading, Paused = paused,
            PrefillTokens = prefill, SumRates = rates, ContextBlocks = blocks, LifetimeBlocks = lifetime, Count = active.Count,
        };
    }
}
