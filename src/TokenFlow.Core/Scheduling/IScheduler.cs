using TokenFlow.Core.Execution;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// A scheduling policy. Each iteration it may admit, preempt and resume requests through the
/// context, and fills the batch to run. It never touches KV blocks except through the context.
/// </summary>
public interface IScheduler
{
    string Name { get; }

    void Schedule(SchedulerContext context, List<ScheduledSequence> batch);

    /// <summary>When the policy next wants to run even if nothing else happens (its re-plan timer).</summary>
    double NextDecisionTime { get; }

    /// <summary>Whether the policy pauses streams onto the host tier; if not, the engine skips write-through.</summary>
    bool UsesHostTier { get; }
}
