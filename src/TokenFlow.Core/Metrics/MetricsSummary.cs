namespace TokenFlow.Core.Metrics;

/// <summary>One run's figures (design §3), the same for the simulator, the bench and the server.</summary>
public sealed record MetricsSummary
{
    public int Requests { get; init; }
    public int CompletedRequests { get; init; }
    public long Tokens { get; init; }
    public double MakespanSeconds { get; init; }
    public double EffectiveThroughputTps { get; init; }
    public double TokenThroughputTps { get; init; }
    public double ConsumedThroughputTps { get; init; }
    public double TtftMeanSeconds { get; init; }
    public double TtftP50Seconds { get; init; }
    public double TtftP90Seconds { get; init; }
    public double TtftP99Seconds { get; init; }
    public double TbtP50Seconds { get; init; }
    public double TbtP99Seconds { get; init; }
    public double StallMeanSeconds { get; init; }
    public double StallP99Seconds { get; init; }
    /// <summary>Share of requests whose reader stalled more than 1 s in total.</summary>
    public double StallOver1sShare { get; init; }
    public double Qos { get; init; }
    /// <summary>Streaming goodput: share of all requests with TTFT and total stall within the thresholds of <see cref="MetricsOptions"/> (a request never served fails).</summary>
    public double StreamingGoodput { get; init; }
}
