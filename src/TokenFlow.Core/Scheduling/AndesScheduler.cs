using TokenFlow.Core.Execution;

namespace TokenFlow.Core.Scheduling;

public sealed class AndesScheduler(AndesOptions options) : IScheduler
{
    private readonly FcfsScheduler _fallback = new();
    public AndesOptions Options => options;
    public string Name => "andes";
    public double NextDecisionTime => double.PositiveInfinity;
    public void Schedule(SchedulerContext context, List<ScheduledSequence> batch) => _fallback.Schedule(context, batch);
}
