using TokenFlow.Routing.Replicas;

namespace TokenFlow.Router.Health;

/// <summary>One replica as the router sees it: its URL and the tracker the policy reads.</summary>
public sealed class ReplicaEndpoint(int index, string url)
{
    public string Url { get; } = url.TrimEnd('/');
    public ReplicaTracker Tracker { get; } = new(index, url.TrimEnd('/'));
    public int Index => Tracker.Index;
    /// <summary>Consecutive failed probes (active or passive); reset by a successful /health.</summary>
    public int Failures;
    public double LastReportAge = double.NaN;
}
