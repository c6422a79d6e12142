using TokenFlow.Core.Engine;
using TokenFlow.Core.Metrics;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Simulation;

/// <summary>Everything one simulated run needs besides the arrival plan.</summary>
public sealed record SimulationConfig
{
    public required HardwareProfile Hardware { get; init; }
    public required ModelProfile Model { get; init; }
    /// <summary>Policy name for <see cref="SchedulerFactory.Create"/>: fcfs, andes or tokenflow.</summary>
    public string Policy { get; init; } = "fcfs";
    public SchedulerOptions Scheduler { get; init; } = new();
    /// <summary>Fraction of the memory left after weights and activations that holds KV.</summary>
    public double KvMemFraction { get; init; } = KvSizing.DefaultMemFraction;
    /// <summary>Batching limits, chunked prefill and the KV switches; tier sizes are filled in from <see cref="KvSizing"/>.</summary>
    public EngineOptions Engine { get; init; } = new();
    /// <summary>Overrides the computed device tier size (tests).</summary>
    public int? DeviceBlocksOverride { get; init; }
    public MetricsOptions Metrics { get; init; } = new();
    /// <summary>Refuse a newcomer whose estimated queueing delay exceeds this many seconds (as serve's --max-queue-delay); null admits all.</summary>
    public double? MaxQueueDelay { get; init; }
}
