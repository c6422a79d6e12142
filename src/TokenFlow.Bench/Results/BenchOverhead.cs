namespace TokenFlow.Bench.Results;

/// <summary>
/// The bench's own cost, so a reader can judge whether the client limited the run: how late requests left
/// against the plan (without --max-concurrency this is pure client delay), and the CPU the bench used.
/// </summary>
public sealed record BenchOverhead
{
    public double DispatchLagMeanMs { get; init; }
    public double DispatchLagP99Ms { get; init; }
    public double DispatchLagMaxMs { get; init; }
    /// <summary>Process CPU seconds over the run (all threads).</summary>
    public double CpuSeconds { get; init; }
    /// <summary>CPU microseconds per received chunk: the client-side price of one streamed token.</summary>
    public double CpuMicrosPerChunk { get; init; }
    public int PeakConcurrentStreams { get; init; }
}
