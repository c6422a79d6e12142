namespace TokenFlow.Core.Execution;

/// <summary>
/// Runs one iteration's forward pass over a batch. The CPU transformer and the GPU cost model both
/// implement it; the engine does not know which one it drives.
/// </summary>
public interface IExecutor
{
    /// <summary>Bytes of KV (all layers, K and V) one block holds; sizes transfers.</summary>
    long KvBytesPerBlock { get; }

    /// <summary>End-of-sequence token, if the model has one.</summary>
    int? EosTokenId { get; }

    /// <summary>
    /// Computes every sequence's chunk and writes the sampled token for each sequence whose chunk
    /// <see cref="ScheduledSequence.Samples"/> into <paramref name="sampled"/> (others get −1).
    /// </summary>
    void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled);
}
