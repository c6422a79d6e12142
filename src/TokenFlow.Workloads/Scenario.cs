namespace TokenFlow.Workloads;

/// <summary>
/// A workload: arrival processes plus prompt, output and reader-rate distributions, and hints for the
/// engine. Load one with <see cref="ScenarioLoader"/>; turn it into requests with <see cref="Plan"/>.
/// </summary>
public sealed record Scenario
{
    public string Name { get; init; } = "scenario";
    public string Description { get; init; } = "";
    /// <summary>Default seed of <see cref="Plan"/>.</summary>
    public int Seed { get; init; }
    /// <summary>Arrival processes; their arrivals are merged and sorted by time.</summary>
    public IReadOnlyList<ArrivalProcess> Arrivals { get; init; } = [];
    public LengthDistribution PromptLength { get; init; } = new ConstantLength(128);
    public LengthDistribution OutputLength { get; init; } = new ConstantLength(128);
    public RateDistribution Rate { get; init; } = new ConstantRate(20);
    /// <summary>Suggested fraction of free GPU memory for KV (vLLM's gpu_memory_utilization idea); null: the engine's default.</summary>
    public double? KvMemFraction { get; init; }
    /// <summary>Suggested device KV capacity in tokens, for engines with a configurable pool (the CPU engine).</summary>
    public int? DeviceKvTokens { get; init; }
    /// <summary>Suggested hardware profile and model (the simulator's names); the command line overrides them.</summary>
    public string? Hardware { get; init; }
    public string? Model { get; init; }
    /// <summary>The file it was loaded from, if any.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The arrival plan for <paramref name="seed"/> (default <see cref="Seed"/>): same seed, same plan.</summary>
    public IReadOnlyList<PlannedRequest> Plan(int? seed = null) => WorkloadPlanner.Plan(this, seed ?? Seed);
}
