using TokenFlow.Routing.Policies;

namespace TokenFlow.Simulation.Cluster;

/// <summary>A simulated cluster: N identical replicas (each a <see cref="SimulationConfig"/>) behind one routing policy.</summary>
public sealed record ClusterConfig
{
    public required SimulationConfig Replica { get; init; }
    public int Replicas { get; init; } = 2;
    /// <summary>round-robin, least-requests or buffer-aware (<see cref="RoutingPolicies"/>).</summary>
    public string Router { get; init; } = "buffer-aware";
    public BufferAwareOptions BufferAware { get; init; } = new();
    /// <summary>Seconds between load reports: the router decides on reports up to this old, as the real one does.</summary>
    public double PollInterval { get; init; } = 0.2;
}

/// <summary>The figures of a cluster run: the merged metrics summary, plus how the router spread the streams.</summary>
public sealed record ClusterResult
{
    public required ClusterConfig Config { get; init; }
    public required TokenFlow.Core.Metrics.MetricsSummary Summary { get; init; }
    public required IReadOnlyList<int> PerReplica { get; init; }
    public int Rejected { get; init; }
    public long Preemptions { get; init; }
    public double WallSeconds { get; init; }
    public bool KvReturnedToFull { get; init; }
}
