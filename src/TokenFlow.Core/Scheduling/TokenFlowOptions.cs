namespace TokenFlow.Core.Scheduling;

/// <summary>Constants of the <c>tokenflow</c> policy (design §4); every one is an option.</summary>
public sealed record TokenFlowOptions
{
    /// <summary>Re-plan interval Δt, seconds.</summary>
    public double ReplanInterval { get; init; } = 0.5;
    /// <summary>A stream with less slack than this (seconds) is buffer-critical.</summary>
    public double CriticalSlack { get; init; } = 1.0;
    /// <summary>Buffer conservativeness μ ≥ 1: a victim's buffer must cover μ·r·(τ_evict + τ_load + τ_schedule).</summary>
    public double BufferConservativeness { get; init; } = 2.0;
    /// <summary>λ_w: how fast the working set shrinks toward the running count.</summary>
    public double WorkingSetDecay { get; init; } = 0.5;
    /// <summary>γ: weight of the starvation penalty in the utility.</summary>
    public double StarvationWeight { get; init; } = 10;
    /// <summary>s₀: slack scale of φ(s) = exp(−s/s₀), seconds.</summary>
    public double SlackScale { get; init; } = 2.0;
    /// <summary>Run the local-search pass after the greedy selection.</summary>
    public bool LocalSearch { get; init; } = true;
    /// <summary>Apply the schedulability guard (Σr over the working set against decode capacity).</summary>
    public bool SchedulabilityGuard { get; init; } = true;
    /// <summary>Fraction of the measured decode capacity Γ the guard lets readers claim (switching has a cost).</summary>
    public double CapacityHeadroom { get; init; } = 1.0;
    /// <summary>Overloaded, a running stream gives its place to a starving one only above this slack (seconds).</summary>
    public double OverloadHighWaterSlack { get; init; } = 15.0;
    /// <summary>Seconds within which the prefill backlog must clear; beyond that the guard counts it as overload.</summary>
    public double BacklogHorizon { get; init; } = 15.0;
    /// <summary>Window (seconds) of the moving average of the prompt-token arrival rate.</summary>
    public double PromptRateWindow { get; init; } = 60.0;
    /// <summary>Overload ends only once both loads stay below this fraction of capacity ...</summary>
    public double OverloadExitLoad { get; init; } = 0.8;
    /// <summary>... for this many seconds (hysteresis).</summary>
    public double OverloadDwell { get; init; } = 10.0;
}

/// <summary>Constants of the <c>andes</c> baseline (Liu et al., 2024).</summary>
public sealed record AndesOptions
{
    /// <summary>Decision interval Δt, seconds; also the horizon over which QoE gains are predicted.</summary>
    public double Interval { get; init; } = 0.5;
    /// <summary>Expected time to first token, seconds (the expected timeline's start).</summary>
    public double ExpectedTtft { get; init; } = 1.0;
    /// <summary>Device use (fraction) from which the knapsack runs; below it andes never preempts.</summary>
    public double MemoryPressure { get; init; } = 0.9;
    /// <summary>P, the preemption-frequency cap: chosen preemptions per submitted request, on average.</summary>
    public double PreemptionsPerRequest { get; init; } = 0.1;
    /// <summary>Percentile of the running requests' slack that must cover each decision's recompute overheads.</summary>
    public double SacrificePercentile { get; init; } = 0.1;
}

/// <summary>Everything a policy may be configured with.</summary>
public sealed record SchedulerOptions
{
    public TokenFlowOptions TokenFlow { get; init; } = new();
    public AndesOptions Andes { get; init; } = new();
}
