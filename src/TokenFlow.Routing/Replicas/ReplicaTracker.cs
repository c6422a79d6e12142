using TokenFlow.Routing.Load;

namespace TokenFlow.Routing.Replicas;

/// <summary>
/// The router's picture of one replica: its latest load report, the streams the router has sent it
/// since that report was taken (so the picture moves between polls), its open requests and health.
/// Thread-safe; the simulator and the real router use it the same way.
/// </summary>
public sealed class ReplicaTracker(int index, string name)
{
    private readonly object _gate = new();
    private readonly List<(double Time, double Rate, int Blocks)> _sinceReport = new();
    private LoadReport? _report;
    private double _reportTakenAt = double.NegativeInfinity;
    private int _open;
    private bool _healthy = true;
    private volatile ReplicaView? _view; // the last View() until something changes: a cluster simulation asks per arrival

    public int Index { get; } = index;
    public string Name { get; } = name;

    public bool Healthy { get { lock (_gate) return _healthy; } }
    public int Open { get { lock (_gate) return _open; } }
    public LoadReport? Report { get { lock (_gate) return _report; } }

    public void SetHealthy(bool healthy) { lock (_gate) { _healthy = healthy; _view = null; } }

    /// <summary>Records a stream sent here at <paramref name="now"/> (router clock).</summary>
    public void OnDispatched(double now, double rate, int promptBlocks)
    {
        lock (_gate)
        {
            _open++;
            _sinceReport.Add((now, rate, promptBlocks));
            _view = null;
        }
    }

    /// <summary>A stream sent here ended (any way).</summary>
    public void OnCompleted() { lock (_gate) { _open = Math.Max(0, _open - 1); _view = null; } }

    /// <summary>A report whose poll was sent at <paramref name="polledAt"/> (router clock): it counts every stream dispatched before then.</summary>
    public void OnReport(LoadReport report, double polledAt)
    {
        lock (_gate)
        {
            if (polledAt < _reportTakenAt) return; // an older poll answered late
            _report = report;
            _reportTakenAt = polledAt;
            _sinceReport.RemoveAll(d => d.Time < polledAt);
            _view = null;
        }
    }

    /// <summary>The latest report plus what the router sent since, as a policy sees it.</summary>
    public ReplicaView View()
    {
        if (_view is { } cached) return cached;
        lock (_gate)
        {
            if (_view is { } fresh) return fresh;
            double rate = 0;
            int blocks = 0;
            foreach (var d in _sinceReport) { rate += d.Rate; blocks += d.Blocks; }
            return _view = new ReplicaView(Index, _healthy, _open, _report, rate, blocks, _sinceReport.Count);
        }
    }
}

/// <summary>An immutable view of one replica for a routing decision.</summary>
public sealed record ReplicaView(int Index, bool Healthy, int Open, LoadReport? Report, double RateSinceReport, int BlocksSinceReport, int SentSinceReport);
