using Prometheus;
using TokenFlow.Routing.Load;

namespace TokenFlow.Server.Load;

/// <summary>
/// <c>GET /v1/load</c>: the replica's load report as JSON (a routing input, cheap to serve: the engine
/// thread keeps it current). The same figures are exported on <c>/metrics</c> as <c>tokenflow_load_*</c> gauges.
/// </summary>
public static class LoadEndpoint
{
    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/v1/load", () => Results.Text(LoadReportJson.Serialize(state.Runner.Load), "application/json"));
        RegisterGauges(state);
    }

    private static void RegisterGauges(ServerState state)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(state.Metrics.Registry).WithLabels(new Dictionary<string, string> { ["model_name"] = state.ModelName });
        var sumRate = f.CreateGauge("tokenflow_load_sum_rate", "Sum of the declared consumption rates of the working set (tokens/s)");
        var capacity = f.CreateGauge("tokenflow_load_capacity", "Measured decode capacity Γ (tokens/s)");
        var waiting = f.CreateGauge("tokenflow_load_waiting", "Requests waiting");
        var running = f.CreateGauge("tokenflow_load_running", "Streams running on the device");
        var paused = f.CreateGauge("tokenflow_load_paused", "Streams paused");
        var free = f.CreateGauge("tokenflow_load_free_blocks", "Free KV blocks per tier", ["tier"]);
        var total = f.CreateGauge("tokenflow_load_total_blocks", "Total KV blocks per tier", ["tier"]);
        var slack = f.CreateGauge("tokenflow_load_min_slack_seconds", "Lowest slack among running streams (NaN when none runs)");
        var backlog = f.CreateGauge("tokenflow_load_prefill_backlog_tokens", "Prompt tokens still to prefill");
        var time = f.CreateGauge("tokenflow_load_report_time_seconds", "Time of the load report (Unix seconds)");
        state.Metrics.Registry.AddBeforeCollectCallback(() =>
        {
            var r = state.Runner.Load;
            sumRate.Set(r.SumRate);
            capacity.Set(r.Capacity);
            waiting.Set(r.Waiting);
            running.Set(r.Running);
            paused.Set(r.Paused);
            free.WithLabels("device").Set(r.DeviceFreeBlocks);
            free.WithLabels("host").Set(r.HostFreeBlocks);
            total.WithLabels("device").Set(r.DeviceTotalBlocks);
            total.WithLabels("host").Set(r.HostTotalBlocks);
            slack.Set(r.MinSlack ?? double.NaN);
            backlog.Set(r.PrefillBacklogTokens);
            time.Set(r.Time);
        });
    }
}
