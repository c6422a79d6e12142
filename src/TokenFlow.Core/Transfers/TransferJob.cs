using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Transfers;

/// <summary>A batch of block copies for one request. Source and destination are paired by index.</summary>
public sealed record TransferJob(long Id, TransferKind Kind, Request Request, int[] SourceBlocks, int[] DestinationBlocks, long Bytes)
{
    public double SubmitTime { get; set; }
    public double StartTime { get; set; } = double.NaN;
    public double CompleteTime { get; set; } = double.NaN;
    /// <summary>For write-through: the token mark the host copy reaches when this lands.</summary>
    public int SyncedTokensAfter { get; init; }
    /// <summary>The sequence's KV epoch at submit; a job from an older epoch is stale.</summary>
    public int Epoch { get; init; }
}
