using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Engine;

/// <summary>How the engine answers the KV cache's reports: each one is a request state transition.</summary>
internal sealed class KvStateTransitions : IKvListener
{
    public static KvStateTransitions Instance { get; } = new();

    public void OnPreempted(Request r, PreemptMode how) => r.MoveTo(how == PreemptMode.Offload ? RequestState.Offloading : RequestState.PausedDropped);
    public void OnLoadQueued(Request r) => r.MoveTo(RequestState.Loading);
    public void OnOffloadCompleted(Request r) => r.MoveTo(RequestState.PausedOnHost);
    public void OnLoadCompleted(Request r) => r.MoveTo(r.RemainingToCompute > 1 ? RequestState.Prefilling : RequestState.Running);
}
