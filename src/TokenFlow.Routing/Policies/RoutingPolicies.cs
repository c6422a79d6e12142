namespace TokenFlow.Routing.Policies;

/// <summary>Builds a routing policy by name.</summary>
public static class RoutingPolicies
{
    public static IReadOnlyList<string> Names { get; } = ["round-robin", "least-requests", "buffer-aware"];

    public static IRoutingPolicy Create(string name, BufferAwareOptions? bufferAware = null) => name.ToLowerInvariant() switch
    {
        "round-robin" => new RoundRobinPolicy(),
        "least-requests" => new LeastRequestsPolicy(),
        "buffer-aware" => new BufferAwarePolicy(bufferAware),
        _ => throw new ArgumentException($"--policy must be one of {string.Join(", ", Names)}, got '{name}'"),
    };
}
