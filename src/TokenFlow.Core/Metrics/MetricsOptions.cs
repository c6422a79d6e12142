namespace TokenFlow.Core.Metrics;

/// <summary>Knobs of design §3's metrics; the defaults are the paper's.</summary>
public sealed record MetricsOptions
{
    /// <summary>Tokens weigh 1 while the buffer is at most this fraction of the output length.</summary>
    public double FullWeightBufferFraction { get; init; } = 0.1;
    /// <summary>Tokens weigh 0 once the buffer exceeds this fraction of the output length.</summary>
    public double ZeroWeightBufferFraction { get; init; } = 0.2;
    /// <summary>QoS weights λ (TTFT) and μ (rebuffering), the paper's Eq. 2.</summary>
    public double QosTtftWeight { get; init; } = 1;
    public double QosStallWeight { get; init; } = 1;
    /// <summary>Streaming goodput counts a request whose TTFT is at most this (seconds) ...</summary>
    public double GoodputTtftSeconds { get; init; } = 2;
    /// <summary>... and whose reader stalled at most this long in total (seconds).</summary>
    public double GoodputStallSeconds { get; init; } = 1;
    /// <summary>Window for consumed throughput; null means the makespan.</summary>
    public (double Start, double End)? ConsumedWindow { get; init; }
}
