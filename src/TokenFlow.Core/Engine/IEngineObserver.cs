using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Engine;

/// <summary>Receives the engine's output on the engine thread. Implementations must not block.</summary>
public interface IEngineObserver
{
    void OnToken(Request request, int token, double time);
    void OnFinished(Request request);

    /// <summary>The request moved from <paramref name="from"/> to its current <see cref="Request.State"/>.</summary>
    void OnStateChanged(Request request, RequestState from) { }

    /// <summary>After each executed iteration: tokens computed in it (prefill chunks plus decodes).</summary>
    void OnIteration(int tokens) { }

    /// <summary>The engine has nothing to compute and is about to sleep (a real-time host only).</summary>
    void OnIdle() { }
}
