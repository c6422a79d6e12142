namespace TokenFlow.Core.Kv;

/// <summary>Sizes of the two tiers and the KV mechanics of design §5, each of which can be switched off.</summary>
public sealed record KvCacheOptions
{
    public int BlockSize { get; init; } = 16;
    public int DeviceBlocks { get; init; } = 1024;
    public int HostBlocks { get; init; } = 4096;
    /// <summary>Copy full blocks to the host continuously, so preemption only writes the tail.</summary>
    public bool WriteThrough { get; init; } = true;
    /// <summary>On preemption, free already-synced device blocks at once rather than after the tail lands.</summary>
    public bool PartialReclamation { get; init; } = true;
    /// <summary>Start loads while evictions are still being written, re-using blocks as they free up.</summary>
    public bool LoadEvictOverlap { get; init; } = true;
    /// <summary>Allow preemption by offload to the host at all; when off, every preemption recomputes.</summary>
    public bool Offload { get; init; } = true;
}
