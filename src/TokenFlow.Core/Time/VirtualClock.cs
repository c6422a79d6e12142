namespace TokenFlow.Core.Time;

/// <summary>A clock that only moves when told to: the simulator's time.</summary>
public sealed class VirtualClock(double start = 0) : IClock
{
    public double Now { get; private set; } = start;

    public void Advance(double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        Now += seconds;
    }

    public void SleepUntil(double time)
    {
        if (time > Now) Now = time;
    }

    public void Wake() { }
}
