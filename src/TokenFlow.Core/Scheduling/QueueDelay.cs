using TokenFlow.Core.Engine;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// The queueing delay a newcomer can expect before its prefill starts: the prompt tokens already
/// queued ahead of it at the measured per-token prefill cost. Reads only running totals, so a
/// request thread may ask while the engine runs (the figures may be a moment old).
/// </summary>
public static class QueueDelay
{
    public static double Estimate(EngineCounters counters, EngineEstimates estimates) =>
        Math.Max(0, counters.WaitingPromptTokens) * estimates.PerPrefillToken;

    /// <summary>True when a newcomer should be refused rather than wait past <paramref name="maxSeconds"/> (null: never).</summary>
    public static bool Exceeds(EngineCounters counters, EngineEstimates estimates, double? maxSeconds) =>
        maxSeconds is { } max && Estimate(counters, estimates) > max;
}
