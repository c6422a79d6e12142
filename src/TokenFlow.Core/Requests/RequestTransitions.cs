namespace TokenFlow.Core.Requests;

/// <summary>
/// The request life cycle as a table (design §4–§5): every state change goes through
/// <see cref="Request.MoveTo"/>, which refuses a move this table does not list.
/// </summary>
public static class RequestTransitions
{
    private static readonly RequestState[][] Allowed = Build();

    private static RequestState[][] Build()
    {
        var t = new RequestState[Enum.GetValues<RequestState>().Length][];
        // Admission, and abort while queued.
        t[(int)RequestState.Waiting] = [RequestState.Prefilling, RequestState.Aborted];
        // Resident: prompt done, finished (first or last token), preempted by offload or recompute.
        t[(int)RequestState.Prefilling] = [RequestState.Running, RequestState.Finished, RequestState.Offloading, RequestState.PausedDropped, RequestState.Aborted];
        t[(int)RequestState.Running] = [RequestState.Finished, RequestState.Offloading, RequestState.PausedDropped, RequestState.Aborted];
        // The tail write lands.
        t[(int)RequestState.Offloading] = [RequestState.PausedOnHost, RequestState.Aborted];
        // Load back, or recompute when that is cheaper.
        t[(int)RequestState.PausedOnHost] = [RequestState.Loading, RequestState.Prefilling, RequestState.Aborted];
        t[(int)RequestState.PausedDropped] = [RequestState.Prefilling, RequestState.Aborted];
        // The load lands: decode, or finish a prompt whose last chunk is still to run.
        t[(int)RequestState.Loading] = [RequestState.Running, RequestState.Prefilling, RequestState.Aborted];
        t[(int)RequestState.Finished] = [];
        t[(int)RequestState.Aborted] = [];
        return t;
    }

    public static bool IsAllowed(RequestState from, RequestState to) => Array.IndexOf(Allowed[(int)from], to) >= 0;

    /// <summary>The states reachable from <paramref name="from"/> in one move.</summary>
    public static IReadOnlyList<RequestState> From(RequestState from) => Allowed[(int)from];
}
