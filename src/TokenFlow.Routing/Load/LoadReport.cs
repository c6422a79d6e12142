namespace TokenFlow.Routing.Load;

/// <summary>
/// What a replica publishes on <c>GET /v1/load</c> (design §10): the schedulability guard's two sides
/// (Σr of the working set and the measured decode capacity Γ), queue counts, the free blocks of both
/// tiers, the lowest slack among running streams and the prefill backlog. <see cref="Time"/> is the
/// replica's clock (Unix seconds on a server, virtual seconds in the simulator).
/// </summary>
public sealed record LoadReport
{
    public double SumRate { get; init; }
    public double Capacity { get; init; }
    public int Waiting { get; init; }
    public int Running { get; init; }
    public int Paused { get; init; }
    public int DeviceFreeBlocks { get; init; }
    public int DeviceTotalBlocks { get; init; }
    public int HostFreeBlocks { get; init; }
    public int HostTotalBlocks { get; init; }
    public int BlockSize { get; init; } = 16;
    /// <summary>Lowest slack (s) among running streams; null when none runs.</summary>
    public double? MinSlack { get; init; }
    public long PrefillBacklogTokens { get; init; }
    public double Time { get; init; }
}
