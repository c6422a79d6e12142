using Prometheus;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server.Metrics;

/// <summary>
/// Prometheus metrics on a per-server registry (several servers can share a process). Latencies
/// are observed on the engine thread as tokens leave and requests end; gauges and totals are
/// refreshed from the engine's snapshot just before each scrape. prometheus-net refuses ':' in
/// names, so vLLM's metrics are registered as vllm_* and renamed to vllm:* on export
/// (<see cref="MetricsEndpoint"/>). Buckets follow vLLM's where it has them.
/// </summary>
public sealed class ServerMetrics : IRunnerListener
{
    /// <summary>vLLM's TTFT buckets.</summary>
    public static readonly double[] TtftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
    /// <summary>vLLM's inter-token buckets, with finer ones below 10 ms for a CPU engine's small models.</summary>
    private static readonly double[] TokenLatencyBuckets = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
    /// <summary>vLLM's request-latency buckets (e2e, queue, prefill, decode).</summary>
    private static readonly double[] RequestLatencyBuckets = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
    private static readonly double[] SlackBuckets = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];

    private readonly Histogram _ttft, _itl, _slack, _stall, _e2e, _queue, _prefill, _decode, _tpot, _promptHist, _genHist, _iterTokens;
    private readonly Gauge _running, _waiting, _paused, _kvUsage, _hostUsage, _deviceBlocks, _hostBlocks;
    private readonly Counter _promptTokens, _generationTokens, _preemptions, _numPreemptions, _bytes, _stallTotal, _finished, _success, _http;
    private Func<EngineSnapshot>? _snapshot;

    public ServerMetrics(string modelName, int maxModelLen = 2048, int maxBatchedTokens = 8192)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry); // process_* (CPU, RSS, threads, fds) and dotnet_* (GC, heap)
        var root = Prometheus.Metrics.WithCustomRegistry(Registry);
        var f = root.WithLabels(new Dictionary<string, string> { ["model_name"] = modelName });
        Histogram H(string name, string help, double[] buckets) => f.CreateHistogram(name, help, new HistogramConfiguration { Buckets = buckets });
        _ttft = H("vllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.", TtftBuckets);
        _itl = H("vllm_inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", TokenLatencyBuckets);
        _tpot = H("vllm_time_per_output_token_seconds", "Histogram of time per output token in seconds (per request: decode time / (tokens - 1)).", TokenLatencyBuckets);
        _e2e = H("vllm_e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.", RequestLatencyBuckets);
        _queue = H("vllm_request_queue_time_seconds", "Histogram of time spent waiting before first scheduled, in seconds.", RequestLatencyBuckets);
        _prefill = H("vllm_request_prefill_time_seconds", "Histogram of time from first scheduled to first token, in seconds.", RequestLatencyBuckets);
        _decode = H("vllm_request_decode_time_seconds", "Histogram of time from first to last token, in seconds.", RequestLatencyBuckets);
        var tokenBuckets = OneTwoFive(maxModelLen);
        _promptHist = H("vllm_request_prompt_tokens", "Number of prefill tokens processed, per finished request.", tokenBuckets);
        _genHist = H("vllm_request_generation_tokens", "Number of generation tokens processed, per finished request.", tokenBuckets);
        _iterTokens = H("vllm_iteration_tokens_total", "Histogram of number of tokens per engine step.", OneTwoFive(maxBatchedTokens));
        _success = f.CreateCounter("vllm_request_success_total", "Count of finished requests by finish reason (stop, length, abort).", new CounterConfiguration { LabelNames = ["finished_reason"] });
        _numPreemptions = f.CreateCounter("vllm_num_preemptions_total", "Cumulative number of preemptions (swap and recompute).");
        _running = f.CreateGauge("vllm_num_requests_running", "Number of requests on the device (running or prefilling).");
        _waiting = f.CreateGauge("vllm_num_requests_waiting", "Number of requests waiting to be admitted.");
        _kvUsage = f.CreateGauge("vllm_kv_cache_usage_perc", "Device KV-cache usage. 1 means 100 percent usage.");
        _promptTokens = f.CreateCounter("vllm_prompt_tokens_total", "Number of prefill tokens processed.");
        _generationTokens = f.CreateCounter("vllm_generation_tokens_total", "Number of generation tokens processed.");
        _slack = H("tokenflow_buffer_slack_seconds", "Reader slack (buffered tokens / consumption rate) when each token is delivered.", SlackBuckets);
        _preemptions = f.CreateCounter("tokenflow_preemptions_total", "Preemptions by kind (swap to host or recompute).", new CounterConfiguration { LabelNames = ["kind"] });
        _bytes = f.CreateCounter("tokenflow_kv_bytes_moved_total", "KV bytes copied between tiers, by direction.", new CounterConfiguration { LabelNames = ["direction"] });
        _paused = f.CreateGauge("tokenflow_num_requests_paused", "Started requests paused off the device (on the host, dropped, or moving).");
        _hostUsage = f.CreateGauge("tokenflow_host_kv_usage_perc", "Host-tier KV usage. 1 means 100 percent usage.");
        _deviceBlocks = f.CreateGauge("tokenflow_device_kv_blocks_used", "Device KV blocks in use.");
        _hostBlocks = f.CreateGauge("tokenflow_host_kv_blocks_used", "Host KV blocks in use.");
        _stall = H("tokenflow_request_stall_seconds", "Per finished request: total time its virtual reader stalled after the first token.", SlackBuckets);
        _stallTotal = f.CreateCounter("tokenflow_stall_seconds_total", "Sum of reader stall seconds over finished requests.");
        _finished = f.CreateCounter("tokenflow_requests_finished_total", "Requests ended, by reason (stop, length, abort).", new CounterConfiguration { LabelNames = ["reason"] });
        // As vLLM's prometheus-fastapi-instrumentator: every HTTP exchange by route template, method and status (429 and 503 included).
        _http = root.CreateCounter("http_requests_total", "HTTP requests by route, method and status.", new CounterConfiguration { LabelNames = ["handler", "method", "status"] });
        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Connects the gauges to an engine's snapshot.</summary>
    public void Attach(Func<EngineSnapshot> snapshot) => _snapshot = snapshot;

    /// <summary>vLLM's cache_config_info: a constant 1 whose labels describe the KV cache.</summary>
    public void SetCacheConfig(int blockSize, int deviceBlocks, int hostBlocks, string policy)
    {
        var g = Prometheus.Metrics.WithCustomRegistry(Registry).CreateGauge("vllm_cache_config_info", "Information of the LLMEngine CacheConfig.",
            new GaugeConfiguration { LabelNames = ["block_size", "num_gpu_blocks", "num_cpu_blocks", "cache_dtype", "policy"] });
        g.WithLabels(blockSize.ToString(), deviceBlocks.ToString(), hostBlocks.ToString(), "float32", policy).Set(1);
    }

    public void OnHttp(string handler, string method, int status) => _http.WithLabels(handler, method, status.ToString()).Inc();

    /// <summary>vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, … up to <paramref name="max"/>.</summary>
    public static double[] OneTwoFive(int max)
    {
        var list = new List<double>();
        for (long m = 1; ; m *= 10)
            foreach (var k in (int[])[1, 2, 5])
            {
                if (k * m > max) return [.. list];
                list.Add(k * m);
            }
    }

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
        _numPreemptions.IncTo(s.SwapPreemptions + s.RecomputePreemptions);
        _bytes.WithLabels("device_to_host").IncTo(s.BytesToHost);
        _bytes.WithLabels("host_to_device").IncTo(s.BytesToDevice);
    }

    public void OnFirstToken(Request request, double ttftSeconds) => _ttft.Observe(Math.Max(0, ttftSeconds));

    public void OnInterToken(double seconds)
    {
        if (double.IsFinite(seconds)) _itl.Observe(Math.Max(0, seconds));
    }

    public void OnToken(Request request, double time) => _slack.Observe(request.Reader.Slack(time));

    public void OnIteration(int tokens) => _iterTokens.Observe(tokens);

    public void OnFinished(Request request, FinishReason reason)
    {
        var name = reason.ToString().ToLowerInvariant();
        _finished.WithLabels(name).Inc();
        _success.WithLabels(name).Inc();
        static void Observe(Histogram h, double v) { if (double.IsFinite(v)) h.Observe(Math.Max(0, v)); }
        Observe(_e2e, request.FinishTime - request.ArrivalTime);
        Observe(_queue, request.FirstScheduledTime - request.ArrivalTime);
        _promptHist.Observe(request.PromptLength);
        _genHist.Observe(request.Generated);
        if (request.Generated == 0) return;
        var first = request.TokenTimes[0];
        var last = request.TokenTimes[^1];
        Observe(_prefill, first - request.FirstScheduledTime);
        Observe(_decode, last - first);
        if (request.Generated > 1) Observe(_tpot, (last - first) / (request.Generated - 1));
        _stall.Observe(request.Reader.StallSeconds);
        _stallTotal.Inc(request.Reader.StallSeconds);
    }
}
