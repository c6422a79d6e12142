using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// SGLang's conservative admission: running requests are expected to need
/// (max_tokens − generated) × ratio more tokens. The ratio starts at 0.7, decays linearly to 0.1
/// over 600 decode iterations, and returns to 0.7 whenever memory ran out.
/// </summary>
internal sealed class FutureTokenReservation(bool residentOnly = false)
{
    public const double Initial = 0.7, Minimum = 0.1, DecayPerIteration = (Initial - Minimum) / 600;

    public double Ratio { get; private set; } = Initial;

    public int BlocksFor(SchedulerContext ctx, Request r) =>
        (int)Math.Ceiling((r.MaxTokens - r.Generated) * Ratio / ctx.Kv.BlockSize);

    public int ReservedBlocks(SchedulerContext ctx)
    {
        var sum = 0;
        foreach (var r in ctx.Active)
            if (!residentOnly || r.State.IsResident() || r.State == Requests.RequestState.Loading) sum += BlocksFor(ctx, r);
        return sum;
    }

    public void Update(SchedulerContext ctx, List<ScheduledSequence> batch, bool ranOutOfMemory)
    {
        if (ranOutOfMemory) { Ratio = Initial; return; }
        if (batch.Count > 0 && !batch[0].IsPrefill) Ratio = Math.Max(Minimum, Ratio - DecayPerIteration);
    }
}
