namespace TokenFlow.Core.Transfers;

/// <summary>Moves the bytes of KV blocks between the two tiers' arenas. The simulator has none.</summary>
public interface IKvBlockCopier
{
    /// <summary>Copies blocks device→host (<paramref name="toHost"/>) or host→device. May run on any thread.</summary>
    void Copy(bool toHost, ReadOnlySpan<int> sourceBlocks, ReadOnlySpan<int> destinationBlocks);
}
