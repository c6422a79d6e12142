using TokenFlow.Routing.Replicas;

namespace TokenFlow.Routing.Policies;

/// <summary>Each healthy replica in turn; never refuses.</summary>
public sealed class RoundRobinPolicy : IRoutingPolicy
{
    private int _next = -1;

    public string Name => "round-robin";

    public int Choose(IReadOnlyList<ReplicaView> replicas, RoutingRequest request, int exclude = -1)
    {
        var n = replicas.Count;
        if (n == 0) return -1;
        var start = Interlocked.Increment(ref _next);
        for (var k = 0; k < n; k++)
        {
            var i = (int)((uint)(start + k) % (uint)n);
            if (replicas[i].Healthy && i != exclude) return i;
        }
        return -1;
    }
}
