namespace TokenFlow.Bench;

/// <summary>Watches a run while it goes (the live display); <paramref name="run"/> completes when every request has.</summary>
public interface IBenchObserver
{
    Task WatchAsync(BenchProgress progress, BenchClock clock, Task run, CancellationToken ct);
}
