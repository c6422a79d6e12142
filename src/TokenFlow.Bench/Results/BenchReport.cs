using TokenFlow.Core.Metrics;

namespace TokenFlow.Bench.Results;

/// <summary>The bench's JSON document: configuration, design §3 metrics (from the core), vLLM's metrics, errors per kind, and every request's trace.</summary>
public sealed record BenchReport
{
    public const int CurrentFormat = 1;

    public string Tool { get; init; } = "tokenflow bench";
    public int Format { get; init; } = CurrentFormat;
    public required BenchConfig Config { get; init; }
    /// <summary>Design §3: TTFT, TBT, stall, effective, consumed and token throughput, QoS.</summary>
    public required MetricsSummary Summary { get; init; }
    public required VllmMetrics Vllm { get; init; }
    public required BenchOverhead Overhead { get; init; }
    /// <summary>Failed requests per error kind (see ErrorKinds).</summary>
    public required IReadOnlyDictionary<string, int> Errors { get; init; }
    /// <summary>Warnings raised before or during the run (e.g. uncalibrated prompt lengths).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public required IReadOnlyList<BenchRequestRecord> Requests { get; init; }
}
