using TokenFlow.Routing.Policies;

namespace TokenFlow.Router;

/// <summary>Everything <c>tokenflow router</c> can set (docs/router.md).</summary>
public sealed record RouterOptions
{
    /// <summary>Base URLs of the replicas, e.g. http://127.0.0.1:8001.</summary>
    public IReadOnlyList<string> Replicas { get; init; } = [];
    public string Policy { get; init; } = "buffer-aware";
    public BufferAwareOptions BufferAware { get; init; } = new();
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    public string? ApiKey { get; init; }
    /// <summary>Seconds between load polls of each replica (100–250 ms per the design).</summary>
    public double PollInterval { get; init; } = 0.2;
    /// <summary>Seconds between active /health checks.</summary>
    public double HealthInterval { get; init; } = 0.5;
    /// <summary>Seconds a poll or health check may take before it counts as a failure.</summary>
    public double ProbeTimeout { get; init; } = 1.0;
    /// <summary>Rate assumed for a request that declares none (the replicas' default).</summary>
    public double DefaultConsumptionRate { get; init; } = 10;
    /// <summary>Retry-After (s) on the router's own 429.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
    /// <summary>Seconds without a byte from the replica before the router gives up on a response.</summary>
    public double ActivityTimeout { get; init; } = 120;
    public long MaxBodyBytes { get; init; } = 4 << 20;
}
