using TokenFlow.Routing.Replicas;

namespace TokenFlow.Routing.Policies;

/// <summary>Picks the replica for a new stream. Returns its index, or -1 when every candidate is saturated (the router answers 429).</summary>
public interface IRoutingPolicy
{
    string Name { get; }

    /// <param name="replicas">All replicas; unhealthy ones and <paramref name="exclude"/> are skipped.</param>
    /// <param name="exclude">A replica not to pick (the one a retry failed on), or -1.</param>
    int Choose(IReadOnlyList<ReplicaView> replicas, RoutingRequest request, int exclude = -1);
}
