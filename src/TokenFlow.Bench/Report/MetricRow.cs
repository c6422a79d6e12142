using TokenFlow.Bench.Results;

namespace TokenFlow.Bench.Report;

/// <summary>
/// One comparable figure of a report: a name, a unit, how to read it from a report, and whether higher is
/// better. The single list serves the run table and <c>bench compare</c>.
/// </summary>
public sealed record MetricRow(string Section, string Name, string Unit, Func<BenchReport, double> Get, bool HigherIsBetter, string Format = "0.###")
{
    public static readonly IReadOnlyList<MetricRow> All =
    [
        new("requests", "completed", "", r => r.Summary.CompletedRequests, true, "0"),
        new("requests", "failed", "", r => r.Requests.Count - r.Summary.CompletedRequests, false, "0"),
        new("design §3", "effective throughput", "tok/s", r => r.Summary.EffectiveThroughputTps, true, "0.##"),
        new("design §3", "consumed throughput", "tok/s", r => r.Summary.ConsumedThroughputTps, true, "0.##"),
        new("design §3", "token throughput", "tok/s", r => r.Summary.TokenThroughputTps, true, "0.##"),
        new("design §3", "TTFT mean", "s", r => r.Summary.TtftMeanSeconds, false),
        new("design §3", "TTFT P50", "s", r => r.Summary.TtftP50Seconds, false),
        new("design §3", "TTFT P90", "s", r => r.Summary.TtftP90Seconds, false),
        new("design §3", "TTFT P99", "s", r => r.Summary.TtftP99Seconds, false),
        new("design §3", "TBT P50", "ms", r => r.Summary.TbtP50Seconds * 1000, false, "0.##"),
        new("design §3", "TBT P99", "ms", r => r.Summary.TbtP99Seconds * 1000, false, "0.##"),
        new("design §3", "stall mean", "s", r => r.Summary.StallMeanSeconds, false),
        new("design §3", "stall P99", "s", r => r.Summary.StallP99Seconds, false),
        new("design §3", "stall > 1 s", "%", r => r.Summary.StallOver1sShare * 100, false, "0.#"),
        new("design §3", "QoS", "", r => r.Summary.Qos, true, "0.##"),
        new("design §3", "streaming goodput", "%", r => r.Summary.StreamingGoodput * 100, true, "0.#"),
        new("design §3", "makespan", "s", r => r.Summary.MakespanSeconds, false, "0.##"),
        new("vLLM", "duration", "s", r => r.Vllm.Duration, false, "0.##"),
        new("vLLM", "request throughput", "req/s", r => r.Vllm.RequestThroughput, true),
        new("vLLM", "request goodput", "req/s", r => r.Vllm.RequestGoodput ?? double.NaN, true),
        new("vLLM", "output throughput", "tok/s", r => r.Vllm.OutputThroughput, true, "0.##"),
        new("vLLM", "total token throughput", "tok/s", r => r.Vllm.TotalTokenThroughput, true, "0.##"),
        new("vLLM", "TTFT mean", "ms", r => r.Vllm.MeanTtftMs, false, "0.##"),
        new("vLLM", "TTFT median", "ms", r => r.Vllm.MedianTtftMs, false, "0.##"),
        new("vLLM", "TTFT P99", "ms", r => r.Vllm.P99TtftMs, false, "0.##"),
        new("vLLM", "TPOT mean", "ms", r => r.Vllm.MeanTpotMs, false, "0.##"),
        new("vLLM", "TPOT median", "ms", r => r.Vllm.MedianTpotMs, false, "0.##"),
        new("vLLM", "TPOT P99", "ms", r => r.Vllm.P99TpotMs, false, "0.##"),
        new("vLLM", "ITL mean", "ms", r => r.Vllm.MeanItlMs, false, "0.##"),
        new("vLLM", "ITL median", "ms", r => r.Vllm.MedianItlMs, false, "0.##"),
        new("vLLM", "ITL P99", "ms", r => r.Vllm.P99ItlMs, false, "0.##"),
        new("vLLM", "E2EL mean", "ms", r => r.Vllm.MeanE2elMs, false, "0.##"),
        new("vLLM", "E2EL median", "ms", r => r.Vllm.MedianE2elMs, false, "0.##"),
        new("vLLM", "E2EL P99", "ms", r => r.Vllm.P99E2elMs, false, "0.##"),
        new("bench", "dispatch lag P99", "ms", r => r.Overhead.DispatchLagP99Ms, false, "0.##"),
        new("bench", "CPU per chunk", "µs", r => r.Overhead.CpuMicrosPerChunk, false, "0.#"),
        new("bench", "peak concurrent streams", "", r => r.Overhead.PeakConcurrentStreams, false, "0"),
    ];

    public string Label => Unit.Length == 0 ? Name : $"{Name} ({Unit})";
}
