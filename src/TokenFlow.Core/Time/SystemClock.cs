using System.Diagnostics;

namespace TokenFlow.Core.Time;

/// <summary>Wall-clock time since construction, with an interruptible sleep.</summary>
public sealed class SystemClock : IClock, IDisposable
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly AutoResetEvent _wake = new(false);

    public double Now => _watch.Elapsed.TotalSeconds;

    public void SleepUntil(double time)
    {
        var wait = time - Now;
        if (double.IsPositiveInfinity(wait)) { _wake.WaitOne(); return; }
        if (wait <= 0) return;
        _wake.WaitOne(TimeSpan.FromSeconds(Math.Min(wait, 3600)));
    }

    public void Wake() => _wake.Set();

    public void Dispose() => _wake.Dispose();
}
