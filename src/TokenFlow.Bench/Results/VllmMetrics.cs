namespace TokenFlow.Bench.Results;

/// <summary>
/// <c>vllm bench serve</c>'s result figures, with its names and definitions, over the completed requests:
/// TTFT, TPOT = (e2el − ttft)/(n − 1) for n &gt; 1, ITL = gaps between chunks, E2EL, in ms; throughputs over
/// the wall-clock duration; goodput = requests meeting every SLO per second.
/// </summary>
public sealed record VllmMetrics
{
    public int Completed { get; init; }
    public int Failed { get; init; }
    public long TotalInputTokens { get; init; }
    public long TotalOutputTokens { get; init; }
    public double Duration { get; init; }
    public double RequestThroughput { get; init; }
    /// <summary>Null without --goodput.</summary>
    public double? RequestGoodput { get; init; }
    public double OutputThroughput { get; init; }
    public double TotalTokenThroughput { get; init; }
    public double MeanTtftMs { get; init; }
    public double MedianTtftMs { get; init; }
    public double StdTtftMs { get; init; }
    public double P90TtftMs { get; init; }
    public double P99TtftMs { get; init; }
    public double MeanTpotMs { get; init; }
    public double MedianTpotMs { get; init; }
    public double StdTpotMs { get; init; }
    public double P90TpotMs { get; init; }
    public double P99TpotMs { get; init; }
    public double MeanItlMs { get; init; }
    public double MedianItlMs { get; init; }
    public double StdItlMs { get; init; }
    public double P90ItlMs { get; init; }
    public double P99ItlMs { get; init; }
    public double MeanE2elMs { get; init; }
    public double MedianE2elMs { get; init; }
    public double StdE2elMs { get; init; }
    public double P90E2elMs { get; init; }
    public double P99E2elMs { get; init; }
}
