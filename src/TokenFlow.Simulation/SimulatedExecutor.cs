using TokenFlow.Core.Execution;
using TokenFlow.Core.Time;

namespace TokenFlow.Simulation;

/// <summary>
/// An <see cref="IExecutor"/> that computes nothing: it advances the virtual clock by the modelled
/// iteration time and samples token 0 for every sampling sequence. There is no EOS, so requests run
/// to their max_tokens (ignore_eos), as the planned output lengths require.
/// </summary>
public sealed class SimulatedExecutor(IterationCostModel cost, VirtualClock clock, int blockSize = 16) : IExecutor
{
    public long KvBytesPerBlock { get; } = cost.Model.KvBytesPerToken * blockSize;
    public int? EosTokenId => null;
    public IterationCostModel Cost => cost;

    /// <summary>Virtual seconds spent computing so far.</summary>
    public double BusySeconds { get; private set; }

    public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
    {
        var t = cost.IterationSeconds(batch);
        BusySeconds += t;
        clock.Advance(t);
        for (var i = 0; i < batch.Count; i++) sampled[i] = batch[i].Samples ? 0 : -1;
    }
}
