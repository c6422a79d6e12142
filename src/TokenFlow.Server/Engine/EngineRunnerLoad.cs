using TokenFlow.Routing.Load;

namespace TokenFlow.Server.Engine;

public sealed partial class EngineRunner
{
    /// <summary>How often (s) the engine thread refreshes <see cref="Load"/> while it works.</summary>
    private const double LoadRefreshSeconds = 0.02;
    private volatile LoadReport _load = new();
    private double _loadTakenAt = double.NegativeInfinity;

    /// <summary>The latest load report (design §10), taken on the engine thread; safe from any thread.</summary>
    public LoadReport Load => _load;

    /// <summary>Engine thread: refreshes the report when it is older than <see cref="LoadRefreshSeconds"/> (or when forced, before sleeping).</summary>
    private void RefreshLoad(bool force)
    {
        var now = Clock.Now;
        if (!force && now - _loadTakenAt < LoadRefreshSeconds) return;
        _loadTakenAt = now;
        _load = LoadReportBuilder.Build(Engine, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
    }
}
