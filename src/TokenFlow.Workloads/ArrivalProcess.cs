namespace TokenFlow.Workloads;

/// <summary>Produces arrival times (and, for traces, request shapes). Deterministic for a given <see cref="Random"/>.</summary>
public abstract record ArrivalProcess
{
    /// <summary>Arrivals in non-decreasing time order.</summary>
    public abstract IEnumerable<ArrivalEvent> Generate(Random rng);
}

/// <summary>Poisson arrivals at <paramref name="Rate"/> requests/s: exponential gaps, <paramref name="Count"/> requests from <paramref name="Start"/>.</summary>
/// <remarks>With a <paramref name="Duration"/>, it stops at the first arrival past Start + Duration (or at Count, whichever comes first).</remarks>
public sealed record PoissonArrivals(double Rate, int Count, double Start = 0, double Duration = double.PositiveInfinity) : ArrivalProcess
{
    public override IEnumerable<ArrivalEvent> Generate(Random rng)
    {
        var t = Start;
        for (var i = 0; i < Count; i++)
        {
            t += rng.NextExponential(Rate);
            if (t > Start + Duration) yield break;
            yield return new ArrivalEvent(t);
        }
    }
}

/// <summary>
/// Renewal arrivals with gamma gaps: mean gap 1/<paramref name="Rate"/>, coefficient of variation
/// <paramref name="Cv"/> (1 is Poisson, &gt; 1 burstier). Shape k = 1/cv², scale θ = 1/(rate·k).
/// </summary>
public sealed record GammaArrivals(double Rate, double Cv, int Count, double Start = 0, double Duration = double.PositiveInfinity) : ArrivalProcess
{
    public override IEnumerable<ArrivalEvent> Generate(Random rng)
    {
        var shape = 1 / (Cv * Cv);
        var scale = 1 / (Rate * shape);
        var t = Start;
        for (var i = 0; i < Count; i++)
        {
            t += rng.NextGamma(shape, scale);
            if (t > Start + Duration) yield break;
            yield return new ArrivalEvent(t);
        }
    }
}

/// <summary><paramref name="Count"/> requests all arriving at time <paramref name="At"/>.</summary>
public sealed record BurstArrivals(double At, int Count) : ArrivalProcess
{
    public override IEnumerable<ArrivalEvent> Generate(Random rng)
    {
        for (var i = 0; i < Count; i++) yield return new ArrivalEvent(At);
    }
}

/// <summary>
/// Replays trace records: times are shifted so the first record arrives at <paramref name="Start"/>,
/// and gaps are multiplied by <paramref name="TimeScale"/> (0.5 replays twice as fast).
/// </summary>
public sealed record TraceArrivals(IReadOnlyList<TraceRecord> Records, double Start = 0, double TimeScale = 1) : ArrivalProcess
{
    /// <summary>The trace file, when loaded from one.</summary>
    public string? File { get; init; }
    /// <summary>The context (prompt + output tokens) rows were clipped to, if any, and how many were.</summary>
    public int? MaxContext { get; init; }
    public int ClippedRows { get; init; }

    public override IEnumerable<ArrivalEvent> Generate(Random rng)
    {
        if (Records.Count == 0) yield break;
        var t0 = Records.Min(r => r.Timestamp);
        foreach (var r in Records.OrderBy(r => r.Timestamp))
            yield return new ArrivalEvent(Start + (r.Timestamp - t0) * TimeScale, r.PromptLength, r.OutputLength, r.Rate);
    }
}
