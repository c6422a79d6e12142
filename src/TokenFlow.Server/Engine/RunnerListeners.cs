using TokenFlow.Core.Requests;

namespace TokenFlow.Server.Engine;

/// <summary>Fans the engine-thread callbacks out to several listeners (metrics, dashboard history).</summary>
public sealed class RunnerListeners(params IRunnerListener[] listeners) : IRunnerListener
{
    public void OnFirstToken(Request request, double ttftSeconds) { foreach (var l in listeners) l.OnFirstToken(request, ttftSeconds); }
    public void OnInterToken(double seconds) { foreach (var l in listeners) l.OnInterToken(seconds); }
    public void OnToken(Request request, double time) { foreach (var l in listeners) l.OnToken(request, time); }
    public void OnFinished(Request request, FinishReason reason) { foreach (var l in listeners) l.OnFinished(request, reason); }
    public void OnIteration(int tokens) { foreach (var l in listeners) l.OnIteration(tokens); }
}
