using TokenFlow.Routing.Load;
using TokenFlow.Routing.Replicas;

namespace TokenFlow.Routing.Policies;

/// <summary>
/// Sends a new stream where it gets its first token soonest without starving the readers already
/// there. From the latest report plus the streams sent since (router's own count):
/// <code>
/// Σr' = Σr + Σ(rates sent since)      h = (Γ − Σr' − r) / Γ
/// dev = (free_dev − blocks sent since − ⌈prompt/B⌉) / total_dev
/// host = (free_host − ⌈prompt/B⌉) / total_host     w = waiting + sent since
/// score = Wh·clamp(h) + Wd·clamp(dev) + Wo·clamp(host) − Ww·w      (clamp to [−1, 1])
/// </code>
/// The highest score wins (ties: fewest open requests). A replica with h &lt; 0 and w ≥ SaturatedWaiting
/// is saturated; if every healthy one is, the answer is -1 (429).
/// </summary>
public sealed class BufferAwarePolicy(BufferAwareOptions? options = null) : IRoutingPolicy
{
    private readonly BufferAwareOptions _o = options ?? new BufferAwareOptions();

    public string Name => "buffer-aware";

    public int Choose(IReadOnlyList<ReplicaView> replicas, RoutingRequest request, int exclude = -1)
    {
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < replicas.Count; i++)
        {
            var v = replicas[i];
            if (!v.Healthy || i == exclude) continue;
            var (score, saturated) = Score(v, request);
            if (saturated) continue;
            if (score > bestScore || (score == bestScore && v.Open < replicas[best].Open)) { best = i; bestScore = score; }
        }
        return best;
    }

    /// <summary>The score of one replica for <paramref name="request"/>, and whether it is saturated.</summary>
    public (double Score, bool Saturated) Score(ReplicaView v, RoutingRequest request)
    {
        if (v.Report is not { } r) return (-_o.WaitingWeight * v.Open, false); // not polled yet: only our own count
        var gamma = Math.Max(r.Capacity, 1e-9);
        var headroom = (gamma - r.SumRate - v.RateSinceReport - request.Rate) / gamma;
        var prompt = (request.PromptTokens + r.BlockSize - 1) / Math.Max(1, r.BlockSize);
        var dev = r.DeviceTotalBlocks > 0 ? (double)(r.DeviceFreeBlocks - v.BlocksSinceReport - prompt) / r.DeviceTotalBlocks : -1;
        var host = r.HostTotalBlocks > 0 ? (double)(r.HostFreeBlocks - prompt) / r.HostTotalBlocks : 0;
        var waiting = r.Waiting + v.SentSinceReport;
        var score = _o.HeadroomWeight * Clamp(headroom) + _o.DeviceWeight * Clamp(dev) + _o.HostWeight * Clamp(host) - _o.WaitingWeight * waiting;
        return (score, headroom < 0 && waiting >= _o.SaturatedWaiting);
    }

    private static double Clamp(double x) => Math.Clamp(x, -1, 1);
}
