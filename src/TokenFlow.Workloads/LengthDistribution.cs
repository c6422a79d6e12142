namespace TokenFlow.Workloads;

/// <summary>A distribution of token counts (prompt or output length). Samples are always ≥ 1.</summary>
public abstract record LengthDistribution
{
    public abstract int Sample(Random rng);

    /// <summary>The distribution's mean before clipping (for sizing and reports).</summary>
    public abstract double Mean { get; }
}

/// <summary>Normal with mean and standard deviation, rounded and clipped to ≥ 1 (the paper's Table 1 uses sd = 20% of the mean).</summary>
public sealed record NormalLength(double MeanValue, double StdDev) : LengthDistribution
{
    public override double Mean => MeanValue;
    public override int Sample(Random rng) => Math.Max(1, (int)Math.Round(MeanValue + StdDev * rng.NextGaussian()));
}

/// <summary>Uniform integer in [Min, Max], both inclusive.</summary>
public sealed record UniformLength(int Min, int Max) : LengthDistribution
{
    public override double Mean => (Min + Max) / 2.0;
    public override int Sample(Random rng) => rng.Next(Min, Max + 1);
}

/// <summary>Always the same length.</summary>
public sealed record ConstantLength(int Value) : LengthDistribution
{
    public override double Mean => Value;
    public override int Sample(Random rng) => Value;
}
