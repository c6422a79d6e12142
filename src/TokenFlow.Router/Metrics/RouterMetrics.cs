using Prometheus;
using TokenFlow.Router.Health;

namespace TokenFlow.Router.Metrics;

/// <summary>The router's own prometheus-net registry (GET /metrics).</summary>
public sealed class RouterMetrics
{
    private readonly Counter _requests;
    private readonly Counter _decisions;
    private readonly Counter _retries;
    private readonly Counter _rejected;
    private readonly Gauge _healthy;

    public RouterMetrics(string policy)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("tokenflow_router_requests_total", "Requests forwarded, by replica and status", ["replica", "status"]);
        _decisions = f.CreateCounter("tokenflow_router_routing_decisions_total", "Streams placed by the routing policy", ["policy", "replica"]);
        _retries = f.CreateCounter("tokenflow_router_retries_total", "Requests retried on another replica before their first byte", ["reason"]);
        _rejected = f.CreateCounter("tokenflow_router_rejected_total", "Requests answered 429 by the router because every replica was saturated");
        _healthy = f.CreateGauge("tokenflow_router_replica_healthy", "1 when the replica is in rotation", ["replica"]);
        Overhead = f.CreateHistogram("tokenflow_router_overhead_seconds", "Time the router adds before forwarding (body read, routing decision)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1e-5, 2, 16) });
        ChunkTime = f.CreateHistogram("tokenflow_router_chunk_seconds", "Time the router takes to pass each streamed chunk on (write and flush to the client)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1e-6, 2, 20) });
        Policy = policy;
    }

    public CollectorRegistry Registry { get; }
    public string Policy { get; }
    public Histogram Overhead { get; }
    public Histogram ChunkTime { get; }

    public void Request(ReplicaEndpoint r, int status) => _requests.WithLabels(r.Url, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
    public void Decision(ReplicaEndpoint r) => _decisions.WithLabels(Policy, r.Url).Inc();
    public void Retry(string reason) => _retries.WithLabels(reason).Inc();
    public void Rejected() => _rejected.Inc();
    public void SetHealthy(ReplicaEndpoint r, bool healthy) => _healthy.WithLabels(r.Url).Set(healthy ? 1 : 0);

    public double CountDecisions(ReplicaEndpoint r) => _decisions.WithLabels(Policy, r.Url).Value;
    public double CountRetries(string reason) => _retries.WithLabels(reason).Value;
}
