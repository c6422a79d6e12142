namespace TokenFlow.Workloads;

/// <summary>A distribution of reader consumption rates, tokens/s. Samples are always &gt; 0.</summary>
public abstract record RateDistribution
{
    public abstract double Sample(Random rng);
    public abstract double Mean { get; }

    /// <summary>
    /// Design §8's human variant: 80% readers at uniform 3–10 tok/s, 20% listeners at uniform 2–4 tok/s
    /// (the paper's Figure 1 reading speeds; listening is slower).
    /// </summary>
    public static MixtureRate Human(double listenerShare = 0.2) => new([
        new MixtureComponent(1 - listenerShare, new UniformRate(3, 10)),
        new MixtureComponent(listenerShare, new UniformRate(2, 4)),
    ]);

    /// <summary>The paper's mixed-rate experiment: 40% at 15 tok/s and 60% at 20 tok/s.</summary>
    public static MixtureRate PaperMixed() => new([
        new MixtureComponent(0.4, new ConstantRate(15)),
        new MixtureComponent(0.6, new ConstantRate(20)),
    ]);
}

public sealed record ConstantRate(double Value) : RateDistribution
{
    public override double Mean => Value;
    public override double Sample(Random rng) => Value;
}

/// <summary>Uniform in [Min, Max).</summary>
public sealed record UniformRate(double Min, double Max) : RateDistribution
{
    public override double Mean => (Min + Max) / 2;
    public override double Sample(Random rng) => Min + (Max - Min) * rng.NextDouble();
}

/// <summary>One weighted component of a <see cref="MixtureRate"/>.</summary>
public sealed record MixtureComponent(double Weight, RateDistribution Distribution);

/// <summary>Picks a component by weight (weights need not sum to 1), then samples it.</summary>
public sealed record MixtureRate(IReadOnlyList<MixtureComponent> Components) : RateDistribution
{
    private double TotalWeight => Components.Sum(c => c.Weight);
    public override double Mean => Components.Sum(c => c.Weight * c.Distribution.Mean) / TotalWeight;

    public override double Sample(Random rng)
    {
        var u = rng.NextDouble() * TotalWeight;
        foreach (var c in Components)
        {
            if (u < c.Weight) return c.Distribution.Sample(rng);
            u -= c.Weight;
        }
        return Components[^1].Distribution.Sample(rng);
    }
}
