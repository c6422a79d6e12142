namespace TokenFlow.Core.Kv;

/// <summary>Per-request KV bookkeeping: block tables of both tiers and how far the host copy reaches.</summary>
internal sealed class KvSequence
{
    /// <summary>Device block table: block k holds positions [k·B, (k+1)·B).</summary>
    public readonly List<int> Device = new();
    /// <summary>Host block table, same indexing; valid up to <see cref="SyncedTokens"/>.</summary>
    public readonly List<int> Host = new();
    /// <summary>Host copy complete for positions [0, SyncedTokens).</summary>
    public int SyncedTokens;
    /// <summary>Host copy submitted (complete or in flight) for positions [0, WritingTokens).</summary>
    public int WritingTokens;
    /// <summary>Copies in flight for this sequence.</summary>
    public int PendingJobs;
    /// <summary>Bumped whenever the KV is dropped, so that late copies know they are stale.</summary>
    public int Epoch;
    /// <summary>An offload is in progress: the device blocks go when its last copy lands.</summary>
    public bool Offloading;
    /// <summary>Device blocks a pending load will need before it can start.</summary>
    public int LoadDemand;
}
