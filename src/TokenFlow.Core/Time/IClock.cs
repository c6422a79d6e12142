namespace TokenFlow.Core.Time;

/// <summary>The engine's only notion of time, in seconds. Real and virtual clocks differ; the engine does not.</summary>
public interface IClock
{
    double Now { get; }

    /// <summary>Blocks (real) or jumps (virtual) until <paramref name="time"/>, or until <see cref="Wake"/> is called.</summary>
    void SleepUntil(double time);

    /// <summary>Ends a pending <see cref="SleepUntil"/> early (a request arrived, a transfer finished).</summary>
    void Wake();
}
