using TokenFlow.Routing.Replicas;

namespace TokenFlow.Routing.Policies;

/// <summary>The healthy replica with the fewest open requests from this router (ties: lowest index); never refuses.</summary>
public sealed class LeastRequestsPolicy : IRoutingPolicy
{
    public string Name => "least-requests";

    public int Choose(IReadOnlyList<ReplicaView> replicas, RoutingRequest request, int exclude = -1)
    {
        var best = -1;
        for (var i = 0; i < replicas.Count; i++)
        {
            var r = replicas[i];
            if (!r.Healthy || i == exclude) continue;
            if (best < 0 || r.Open < replicas[best].Open) best = i;
        }
        return best;
    }
}
