namespace TokenFlow.Core.Requests;

/// <summary>Where a request is in its life. See design §4–§5.</summary>
public enum RequestState
{
    /// <summary>Queued; never started, holds no KV.</summary>
    Waiting,
    /// <summary>On the device, computing prompt (or recompute) chunks.</summary>
    Prefilling,
    /// <summary>On the device, decoding.</summary>
    Running,
    /// <summary>Its KV is being copied host→device; it runs when the load lands.</summary>
    Loading,
    /// <summary>Preempted; the unsynced tail of its KV is being written to the host.</summary>
    Offloading,
    /// <summary>Preempted; its whole KV is on the host tier.</summary>
    PausedOnHost,
    /// <summary>Preempted; its KV was dropped and will be recomputed.</summary>
    PausedDropped,
    Finished,
    Aborted,
}

public static class RequestStateExtensions
{
    public static bool IsTerminal(this RequestState s) => s is RequestState.Finished or RequestState.Aborted;

    /// <summary>KV on the device and ready to compute.</summary>
    public static bool IsResident(this RequestState s) => s is RequestState.Prefilling or RequestState.Running;

    public static bool IsPaused(this RequestState s) =>
        s is RequestState.Loading or RequestState.Offloading or RequestState.PausedOnHost or RequestState.PausedDropped;
}

public enum FinishReason { Stop, Length, Abort }
