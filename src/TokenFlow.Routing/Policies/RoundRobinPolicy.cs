using TokenFlow.Routing.Replicas;

namespace TokenFlow.Routing.Policies;

/// <summary>Each healthy replica in turn; never refuses.</summary>
public sealed class RoundRobinPolicy : IRoutingPolicy
{
    private readonly object _gate = new();
    private int _last = -1;

    public string Name => "round-robin";

    public int Choose(IReadOnlyList<ReplicaView> replicas, RoutingRequest request, int exclude = -1)
    {
        var n = replicas.Count;
        if (n == 0) return -1;
        lock (_gate)
        {
            for (var k = 1; k <= n; k++)
            {
                var i = (int)((uint)(_last + k) % (uint)n); // the next healthy one after the last pick: skipping keeps the turns even
                if (replicas[i].Healthy && i != exclude) return _last = i;
            }
            return -1;
        }
    }
}
