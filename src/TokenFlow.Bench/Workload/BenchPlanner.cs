using TokenFlow.Workloads;

namespace TokenFlow.Bench.Workload;

/// <summary>
/// Builds the arrival plan: a scenario (or a synthetic one from the vLLM knobs) goes through the shared
/// <see cref="WorkloadPlanner"/>, so the bench and the simulator see the same requests for the same seed.
/// </summary>
public static class BenchPlanner
{
    /// <summary>The scenario the knobs describe, on top of <paramref name="baseScenario"/> (null: vLLM's random dataset).</summary>
    public static Scenario Compose(Scenario? baseScenario, VllmKnobs knobs)
    {
        Validate(knobs);
        var s = baseScenario ?? new Scenario
        {
            Name = "random",
            Description = "vLLM-style random workload",
            PromptLength = new ConstantLength(VllmKnobs.DefaultInputLen),
            OutputLength = new ConstantLength(VllmKnobs.DefaultOutputLen),
            Arrivals = [new BurstArrivals(0, knobs.NumPrompts ?? VllmKnobs.DefaultNumPrompts)],
        };
        if (knobs.RequestRate is { } rate)
        {
            var count = knobs.NumPrompts ?? (baseScenario is null ? VllmKnobs.DefaultNumPrompts : baseScenario.Plan().Count);
            var burstiness = knobs.Burstiness ?? 1;
            ArrivalProcess arrivals = double.IsPositiveInfinity(rate) ? new BurstArrivals(0, count)
                : burstiness == 1 ? new PoissonArrivals(rate, count)
                // vLLM: gamma with shape = burstiness and mean 1/rate, i.e. cv = 1/sqrt(burstiness).
                : new GammaArrivals(rate, 1 / Math.Sqrt(burstiness), count);
            s = s with { Arrivals = [arrivals] };
        }
        else if (knobs.Burstiness is not null && baseScenario is null)
            throw new BenchException("--burstiness needs --request-rate (a finite rate)");
        var ratio = knobs.RandomRangeRatio ?? 0;
        if (knobs.RandomInputLen is { } inLen) s = s with { PromptLength = Length(inLen, ratio) };
        if (knobs.RandomOutputLen is { } outLen) s = s with { OutputLength = Length(outLen, ratio) };
        if (knobs.RandomRangeRatio is not null && baseScenario is null)
        {
            s = s with
            {
                PromptLength = Length(knobs.RandomInputLen ?? VllmKnobs.DefaultInputLen, ratio),
                OutputLength = Length(knobs.RandomOutputLen ?? VllmKnobs.DefaultOutputLen, ratio),
            };
        }
        if (knobs.ConsumptionRate is { } r) s = s with { Rate = new ConstantRate(r) };
        return s;
    }

    /// <summary>The plan for <paramref name="seed"/>: at most NumPrompts requests, none arriving after <paramref name="duration"/>.</summary>
    public static IReadOnlyList<PlannedRequest> Plan(Scenario scenario, VllmKnobs knobs, int seed, double? duration = null)
    {
        IEnumerable<PlannedRequest> plan = WorkloadPlanner.Plan(scenario, seed);
        if (duration is { } d) plan = plan.Where(p => p.ArrivalTime <= d);
        if (knobs.NumPrompts is { } n) plan = plan.Take(n);
        return plan.ToArray();
    }

    private static LengthDistribution Length(int len, double ratio)
    {
        if (ratio <= 0) return new ConstantLength(len);
        var lo = Math.Max(1, (int)Math.Floor(len * (1 - ratio)));
        var hi = Math.Max(lo, (int)Math.Ceiling(len * (1 + ratio)));
        return new UniformLength(lo, hi);
    }

    private static void Validate(VllmKnobs k)
    {
        if (k.NumPrompts is < 1) throw new BenchException($"--num-prompts must be ≥ 1 (got {k.NumPrompts})");
        if (k.RequestRate is { } r && !(r > 0)) throw new BenchException($"--request-rate must be positive or inf (got {r})");
        if (k.Burstiness is { } b && !(b > 0 && double.IsFinite(b))) throw new BenchException($"--burstiness must be a positive number (got {b})");
        if (k.RandomInputLen is < 1) throw new BenchException($"--random-input-len must be ≥ 1 (got {k.RandomInputLen})");
        if (k.RandomOutputLen is < 1) throw new BenchException($"--random-output-len must be ≥ 1 (got {k.RandomOutputLen})");
        if (k.RandomRangeRatio is { } q && !(q >= 0 && q < 1)) throw new BenchException($"--random-range-ratio must be in [0, 1) (got {q})");
        if (k.ConsumptionRate is { } c && !(c > 0 && double.IsFinite(c))) throw new BenchException($"--consumption-rate must be a positive number of tokens/s (got {c})");
    }
}
