namespace TokenFlow.Bench.Workload;

/// <summary>
/// <c>vllm bench serve</c>'s workload knobs. Without a scenario they define the whole workload; with one
/// they override its parts (count, arrivals, lengths). Null means "not given".
/// </summary>
public sealed record VllmKnobs
{
    /// <summary>vLLM's default when no scenario is given.</summary>
    public const int DefaultNumPrompts = 1000;
    public const int DefaultInputLen = 1024;
    public const int DefaultOutputLen = 128;

    public int? NumPrompts { get; init; }
    /// <summary>Requests/s; +∞ sends everything at once (vLLM's "inf").</summary>
    public double? RequestRate { get; init; }
    /// <summary>Gamma shape of the inter-arrival times: 1 is Poisson, lower is burstier (vLLM's --burstiness).</summary>
    public double? Burstiness { get; init; }
    public int? RandomInputLen { get; init; }
    public int? RandomOutputLen { get; init; }
    /// <summary>Lengths are uniform in [len·(1−r), len·(1+r)] (vLLM's --random-range-ratio).</summary>
    public double? RandomRangeRatio { get; init; }
    /// <summary>Reader rate for every request, tokens/s (overrides the scenario's rate distribution).</summary>
    public double? ConsumptionRate { get; init; }
}
