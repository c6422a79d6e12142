using System.Diagnostics;

namespace TokenFlow.Bench;

/// <summary>Monotonic seconds since the run started (Stopwatch ticks: sub-microsecond on Linux).</summary>
public sealed class BenchClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public double Now => Stopwatch.GetElapsedTime(_start).TotalSeconds;
}
