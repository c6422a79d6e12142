using TokenFlow.Core.Transfers;

namespace TokenFlow.Simulation;

/// <summary>
/// One GPU as the cost model sees it (design §7): memory, bandwidth, peak dense bf16 FLOP/s, the
/// achieved fractions of those peaks, a fixed per-iteration overhead, and its host link.
/// </summary>
public sealed record HardwareProfile
{
    public required string Name { get; init; }
    /// <summary>Device memory, bytes.</summary>
    public required double MemoryBytes { get; init; }
    /// <summary>Peak memory bandwidth, bytes/s.</summary>
    public required double MemoryBandwidth { get; init; }
    /// <summary>Peak dense bf16 tensor FLOP/s (fp32 accumulate, as PyTorch GEMMs run).</summary>
    public required double PeakFlops { get; init; }
    /// <summary>Achieved fraction of <see cref="PeakFlops"/> on large GEMMs (model FLOPs utilisation).</summary>
    public required double Mfu { get; init; }
    /// <summary>Achieved fraction of <see cref="MemoryBandwidth"/> on weight and KV reads (bandwidth utilisation).</summary>
    public required double Mbu { get; init; }
    /// <summary>Per-iteration overhead: scheduling, sampling, launch tails (seconds).</summary>
    public required double FixedSeconds { get; init; }
    /// <summary>Per-sequence overhead in an iteration: batch preparation, sampling, detokenising (seconds).</summary>
    public double PerSequenceSeconds { get; init; } = 5e-6;
    /// <summary>Host→device link.</summary>
    public required LinkModel ToDevice { get; init; }
    /// <summary>Device→host link.</summary>
    public required LinkModel ToHost { get; init; }
    /// <summary>Host RAM the KV host tier may use, bytes.</summary>
    public required double HostKvBytes { get; init; }

    /// <summary>Effective GEMM FLOP/s.</summary>
    public double EffectiveFlops => PeakFlops * Mfu;
    /// <summary>Effective bytes/s for weight and KV reads.</summary>
    public double EffectiveBandwidth => MemoryBandwidth * Mbu;
}
