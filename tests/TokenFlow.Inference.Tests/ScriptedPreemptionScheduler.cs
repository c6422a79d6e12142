using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Inference.Tests;

/// <summary>
/// Test-only policy: admits everything, runs prefills in chunks of <c>chunk</c> tokens alongside
/// decodes, preempts <c>target</c> at iteration <c>preemptAt</c> and resumes it from
/// <c>resumeAt</c> on (by load when its KV is on the host, else by recompute).
/// </summary>
internal sealed class ScriptedPreemptionScheduler(string target, int preemptAt, int resumeAt, PreemptMode mode, int chunk) : IScheduler
{
    private int _iteration;

    public string Name => "scripted";
    public double NextDecisionTime => double.PositiveInfinity;
    public bool UsesHostTier => true;
    public PreemptMode? Done { get; private set; }
    public bool Resumed { get; private set; }

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        _iteration++;
        var t = ctx.Active.FirstOrDefault(r => r.Id == target);
        if (_iteration == preemptAt && t is not null && t.State.IsResident()) Done = ctx.Preempt(t, mode);
        if (_iteration >= resumeAt && t is not null && t.State is RequestState.PausedOnHost or RequestState.PausedDropped)
        {
            ctx.Resume(t, t.State == RequestState.PausedOnHost ? PreemptMode.Offload : PreemptMode.Recompute);
            Resumed = true;
        }
        foreach (var r in ctx.Active.ToArray())
        {
            if (r.State == RequestState.Running) Assert.True(ctx.TryAddDecode(r, batch), "device blocks ran out");
            else if (r.State == RequestState.Prefilling) ctx.TryAddPrefill(r, batch, chunk);
        }
        foreach (var r in ctx.Waiting.ToArray())
        {
            ctx.Admit(r);
            ctx.TryAddPrefill(r, batch, chunk);
        }
    }
}
