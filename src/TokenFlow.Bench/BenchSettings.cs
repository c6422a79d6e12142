using TokenFlow.Bench.Client;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;
using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench;

/// <summary>Everything one <c>tokenflow bench</c> run needs.</summary>
public sealed record BenchSettings
{
    public required BenchClientOptions Client { get; init; }
    /// <summary>Scenario file; null uses vLLM's random workload shaped by <see cref="Knobs"/>.</summary>
    public string? ScenarioPath { get; init; }
    public VllmKnobs Knobs { get; init; } = new();
    /// <summary>Plan seed; null is the scenario's own (0 without a scenario).</summary>
    public int? Seed { get; init; }
    /// <summary>Only requests arriving within this many seconds are sent; those sent are awaited.</summary>
    public double? Duration { get; init; }
    /// <summary>At most this many requests in flight; the others wait, and their TTFT starts when they are sent (as in vLLM).</summary>
    public int? MaxConcurrency { get; init; }
    public string? DatasetPath { get; init; }
    public GoodputSlo? Goodput { get; init; }
    public MetricsOptions Metrics { get; init; } = new();
    /// <summary>Skips calibration: prompts get tokens/this many words.</summary>
    public double? TokensPerWord { get; init; }
    public string? Label { get; init; }
}
