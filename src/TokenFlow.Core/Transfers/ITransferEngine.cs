namespace TokenFlow.Core.Transfers;

/// <summary>
/// Asynchronous copies between tiers on prioritised lanes: loads ahead of offloads ahead of
/// write-through. One link per direction; compute overlaps both.
/// </summary>
public interface ITransferEngine
{
    void Submit(TransferJob job);

    /// <summary>Moves every job finished by now into <paramref name="completed"/>.</summary>
    void Poll(List<TransferJob> completed);

    /// <summary>When the next in-flight job will finish, if known (virtual time); otherwise null.</summary>
    double? NextCompletionTime { get; }

    /// <summary>True when every finished job wakes the clock (real copy threads), so the engine need not poll for it.</summary>
    bool WakesClockOnCompletion => false;

    /// <summary>Jobs submitted and not yet polled as complete.</summary>
    int InFlight { get; }

    /// <summary>Estimated seconds from now until a job of this kind and size submitted now would finish.</summary>
    double EstimateCompletionDelay(TransferKind kind, long bytes);

    /// <summary>Estimated bytes/s of one direction.</summary>
    double Bandwidth(bool toHost);
}
