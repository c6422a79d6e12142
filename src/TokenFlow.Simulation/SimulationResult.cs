using TokenFlow.Core.Metrics;

namespace TokenFlow.Simulation;

/// <summary>The figures of one simulated run (design §3): the metrics summary plus engine counters.</summary>
public sealed record SimulationResult
{
    public required string Policy { get; init; }
    public required MetricsSummary Summary { get; init; }
    public required KvSizing Kv { get; init; }
    public long SwapPreemptions { get; init; }
    public long RecomputePreemptions { get; init; }
    public long Preemptions => SwapPreemptions + RecomputePreemptions;
    public long Loads { get; init; }
    public long RecomputedTokens { get; init; }
    public long BytesToHost { get; init; }
    public long BytesToDevice { get; init; }
    public int PeakDeviceBlocks { get; init; }
    public long PeakDeviceKvBytes => PeakDeviceBlocks * Kv.BlockBytes;
    public long Iterations { get; init; }
    /// <summary>Virtual time at the last token.</summary>
    public double SimulatedSeconds { get; init; }
    /// <summary>Virtual seconds the GPU spent computing.</summary>
    public double BusySeconds { get; init; }
    public double WallSeconds { get; init; }
    /// <summary>Process CPU seconds (all threads, GC included) the run took; steadier than wall time on a shared machine.</summary>
    public double CpuSeconds { get; init; }
    /// <summary>True when every block of both tiers was free again at the end and the KV invariants held.</summary>
    public bool KvReturnedToFull { get; init; }
    public required IReadOnlyList<RequestTrace> Traces { get; init; }
    /// <summary>Requests refused at arrival because their estimated queueing delay exceeded <see cref="SimulationConfig.MaxQueueDelay"/> (they count as not completed).</summary>
    public int RejectedRequests { get; init; }
}
