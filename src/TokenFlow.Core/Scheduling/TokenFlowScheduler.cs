using TokenFlow.Core.Execution;

namespace TokenFlow.Core.Scheduling;

public sealed class TokenFlowScheduler(TokenFlowOptions options) : IScheduler
{
    private readonly FcfsScheduler _fallback = new();
    public TokenFlowOptions Options => options;
    public string Name => "tokenflow";
    public double NextDecisionTime => double.PositiveInfinity;
    public void Schedule(SchedulerContext context, List<ScheduledSequence> batch) => _fallback.Schedule(context, batch);
}
