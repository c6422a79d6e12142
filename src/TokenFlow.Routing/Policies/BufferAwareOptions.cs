namespace TokenFlow.Routing.Policies;

/// <summary>Constants of the buffer-aware score (docs/router.md); each is a router option.</summary>
public sealed record BufferAwareOptions
{
    /// <summary>Weight of the decode headroom (Γ − Σr − r)/Γ, clamped to [−1, 1]. Largest: it decides first.</summary>
    public double HeadroomWeight { get; init; } = 4.0;
    /// <summary>Weight of the free device blocks left after the prompt, as a fraction of the tier.</summary>
    public double DeviceWeight { get; init; } = 1.0;
    /// <summary>Weight of the free host blocks left after the prompt, as a fraction of the tier.</summary>
    public double HostWeight { get; init; } = 0.5;
    /// <summary>Penalty per waiting request (reported waiting plus streams sent since the report).</summary>
    public double WaitingWeight { get; init; } = 0.05;
    /// <summary>A replica with no headroom and at least this many waiting is saturated; when all are, the router answers 429.</summary>
    public int SaturatedWaiting { get; init; } = 32;
}
