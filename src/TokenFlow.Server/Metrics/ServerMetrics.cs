using Prometheus;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server.Metrics;

/// <summary>
/// Prometheus metrics on a per-server registry (several servers can share a process). Latencies
/// are observed on the engine thread as tokens leave; gauges and totals are refreshed from the
/// engine's snapshot just before each scrape. prometheus-net refuses ':' in names, so vLLM's
/// metrics are registered as vllm_* and renamed to vllm:* on export (<see cref="MetricsEndpoint"/>).
/// </summary>
public sealed class ServerMetrics : IRunnerListener
{
    private static readonly double[] LatencyBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
    private static readonly double[] SlackBuckets = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];

    private readonly Histogram _ttft, _itl, _slack, _stall;
    private readonly Gauge _running, _waiting, _paused, _kvUsage, _hostUsage, _deviceBlocks, _hostBlocks;
    private readonly Counter _promptTokens, _generationTokens, _preemptions, _bytes, _stallTotal, _finished;
    private Func<EngineSnapshot>? _snapshot;

    public ServerMetrics(string modelName)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry).WithLabels(new Dictionary<string, string> { ["model_name"] = modelName });
        _ttft = f.CreateHistogram("vllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _itl = f.CreateHistogram("vllm_inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _running = f.CreateGauge("vllm_num_requests_running", "Number of requests on the device (running or prefilling).");
        _waiting = f.CreateGauge("vllm_num_requests_waiting", "Number of requests waiting to be admitted.");
        _kvUsage = f.CreateGauge("vllm_kv_cache_usage_perc", "Device KV-cache usage. 1 means 100 percent usage.");
        _promptTokens = f.CreateCounter("vllm_prompt_tokens_total", "Number of prefill tokens processed.");
        _generationTokens = f.CreateCounter("vllm_generation_tokens_total", "Number of generation tokens processed.");
        _slack = f.CreateHistogram("tokenflow_buffer_slack_seconds", "Reader slack (buffered tokens / consumption rate) when each token is delivered.", new HistogramConfiguration { Buckets = SlackBuckets });
        _preemptions = f.CreateCounter("tokenflow_preemptions_total", "Preemptions by kind (swap to host or recompute).", new CounterConfiguration { LabelNames = ["kind"] });
        _bytes = f.CreateCounter("tokenflow_kv_bytes_moved_total", "KV bytes copied between tiers, by direction.", new CounterConfiguration { LabelNames = ["direction"] });
        _paused = f.CreateGauge("tokenflow_num_requests_paused", "Started requests paused off the device (on the host, dropped, or moving).");
        _hostUsage = f.CreateGauge("tokenflow_host_kv_usage_perc", "Host-tier KV usage. 1 means 100 percent usage.");
        _deviceBlocks = f.CreateGauge("tokenflow_device_kv_blocks_used", "Device KV blocks in use.");
        _hostBlocks = f.CreateGauge("tokenflow_host_kv_blocks_used", "Host KV blocks in use.");
        _stall = f.CreateHistogram("tokenflow_request_stall_seconds", "Per finished request: total time its virtual reader stalled after the first token.", new HistogramConfiguration { Buckets = SlackBuckets });
        _stallTotal = f.CreateCounter("tokenflow_stall_seconds_total", "Sum of reader stall seconds over finished requests.");
        _finished = f.CreateCounter("tokenflow_requests_finished_total", "Requests ended, by reason (stop, length, abort).", new CounterConfiguration { LabelNames = ["reason"] });
        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Connects the gauges to an engine's snapshot.</summary>
    public void Attach(Func<EngineSnapshot> snapshot) => _snapshot = snapshot;

    private void Refresh()
    {
        if (_snapshot?.Invoke() is not { } s) return;
        _running.Set(s.Running);
        _waiting.Set(s.Waiting);
        _paused.Set(s.Paused);
        _kvUsage.Set(s.DeviceBlocksTotal == 0 ? 0 : (double)s.DeviceBlocksUsed / s.DeviceBlocksTotal);
        _hostUsage.Set(s.HostBlocksTotal == 0 ? 0 : (double)s.HostBlocksUsed / s.HostBlocksTotal);
        _deviceBlocks.Set(s.DeviceBlocksUsed);
        _hostBlocks.Set(s.HostBlocksUsed);
        _promptTokens.IncTo(s.PromptTokens);
        _generationTokens.IncTo(s.GeneratedTokens);
        _preemptions.WithLabels("swap").IncTo(s.SwapPreemptions);
        _preemptions.WithLabels("recompute").IncTo(s.RecomputePreemptions);
        _bytes.WithLabels("device_to_host").IncTo(s.BytesToHost);
        _bytes.WithLabels("host_to_device").IncTo(s.BytesToDevice);
    }

    public void OnFirstToken(Request request, double ttftSeconds) => _ttft.Observe(Math.Max(0, ttftSeconds));

    public void OnInterToken(double seconds)
    {
        if (double.IsFinite(seconds)) _itl.Observe(Math.Max(0, seconds));
    }

    public void OnToken(Request request, double time) => _slack.Observe(request.Reader.Slack(time));

    public void OnFinished(Request request)
    {
        _finished.WithLabels((request.FinishReason ?? FinishReason.Abort).ToString().ToLowerInvariant()).Inc();
        if (request.Generated == 0) return;
        _stall.Observe(request.Reader.StallSeconds);
        _stallTotal.Inc(request.Reader.StallSeconds);
    }
}
