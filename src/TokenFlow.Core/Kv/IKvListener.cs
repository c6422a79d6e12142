using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Kv;

/// <summary>
/// What the KV cache reports about a request's KV; the engine turns each report into a request
/// state transition. The cache itself never sets <see cref="Request.State"/>.
/// </summary>
public interface IKvListener
{
    /// <summary>The request was preempted: its tail is being written (<see cref="PreemptMode.Offload"/>) or its KV was dropped.</summary>
    void OnPreempted(Request request, PreemptMode how);
    /// <summary>A load from the host was queued; it starts when device blocks allow.</summary>
    void OnLoadQueued(Request request);
    /// <summary>The last copy of an offload landed: the whole KV is on the host.</summary>
    void OnOffloadCompleted(Request request);
    /// <summary>A load landed: the KV is back on the device.</summary>
    void OnLoadCompleted(Request request);
}
