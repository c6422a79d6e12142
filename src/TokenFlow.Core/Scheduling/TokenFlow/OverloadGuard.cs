namespace TokenFlow.Core.Scheduling;

/// <summary>What the guard measures at one instant (design §4, schedulability guard).</summary>
/// <param name="Now">Clock time, seconds.</param>
/// <param name="SubmittedPromptTokens">Prompt tokens of every request ever submitted (a running total).</param>
/// <param name="PrefillBacklogTokens">Prompt and recompute tokens not yet prefilled: the waiting queue plus unfinished prefills.</param>
/// <param name="ReaderRates">Σr of the working set, tokens/s.</param>
/// <param name="DecodeCapacity">Γ, aggregate decode tokens/s at the number of streams that fit on the device.</param>
/// <param name="PrefillSecondsPerToken">Measured prefill cost per token.</param>
public readonly record struct LoadSample(double Now, long SubmittedPromptTokens, long PrefillBacklogTokens, double ReaderRates, double DecodeCapacity, double PrefillSecondsPerToken);

/// <summary>
/// Decides whether the load outruns the hardware, on both sides of compute:
/// <list type="bullet">
/// <item>decode: the readers' rates Σr against the decode capacity Γ (times <see cref="TokenFlowOptions.CapacityHeadroom"/>);</item>
/// <item>prefill: the prompt-token arrival rate plus the backlog spread over
/// <see cref="TokenFlowOptions.BacklogHorizon"/>, at the measured prefill cost, against the share of
/// compute that decoding for the readers leaves free.</item>
/// </list>
/// It enters overload when either load exceeds 1 and leaves only after both stay below
/// <see cref="TokenFlowOptions.OverloadExitLoad"/> for <see cref="TokenFlowOptions.OverloadDwell"/>
/// seconds, so it does not flap around the threshold.
/// </summary>
public sealed class OverloadGuard(TokenFlowOptions options)
{
    private double _last = double.NaN;
    private long _lastSubmitted;
    private double _calmSince = double.NaN;

    public bool Overloaded { get; private set; }
    /// <summary>Times the guard entered overload.</summary>
    public long Entries { get; private set; }
    /// <summary>Prompt tokens/s arriving, a moving average over <see cref="TokenFlowOptions.PromptRateWindow"/>.</summary>
    public double PromptRate { get; private set; }
    public double DecodeLoad { get; private set; }
    public double PrefillLoad { get; private set; }
    public double Load => Math.Max(DecodeLoad, PrefillLoad);

    /// <summary>True when switching may spend compute: not overloaded and both loads below the exit mark.</summary>
    public bool ComputeHeadroom => !Overloaded && Load < options.OverloadExitLoad;

    public bool Update(in LoadSample s)
    {
        if (double.IsNaN(_last)) _last = s.Now;
        var dt = s.Now - _last;
        if (dt > 0)
        {
            // Exponential moving average of the arrival rate; a burst adds its tokens / window at once.
            var alpha = 1 - Math.Exp(-dt / options.PromptRateWindow);
            PromptRate += alpha * ((s.SubmittedPromptTokens - _lastSubmitted) / dt - PromptRate);
            _last = s.Now;
            _lastSubmitted = s.SubmittedPromptTokens;
        }
        var decodeShare = s.DecodeCapacity > 0 ? s.ReaderRates / s.DecodeCapacity : 0;
        DecodeLoad = decodeShare / options.CapacityHeadroom;
        var prefillDemand = (PromptRate + s.PrefillBacklogTokens / options.BacklogHorizon) * s.PrefillSecondsPerToken;
        PrefillLoad = prefillDemand / Math.Max(0.05, 1 - decodeShare);

        if (!options.SchedulabilityGuard) return Overloaded = false;
        if (!Overloaded)
        {
            if (Load > 1)
            {
                Overloaded = true;
                Entries++;
                _calmSince = double.NaN;
            }
        }
        else if (Load >= options.OverloadExitLoad) _calmSince = double.NaN;
        else if (double.IsNaN(_calmSince)) _calmSince = s.Now;
        else if (s.Now - _calmSince >= options.OverloadDwell) Overloaded = false;
        return Overloaded;
    }
}
