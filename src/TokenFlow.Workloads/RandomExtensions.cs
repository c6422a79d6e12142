namespace TokenFlow.Workloads;

/// <summary>
/// Samplers over <see cref="Random"/>. A seeded <see cref="Random"/> uses a fixed legacy algorithm, so
/// the same seed gives the same plan on every .NET version and machine.
/// </summary>
public static class RandomExtensions
{
    /// <summary>Standard normal by Box–Muller (one draw per call keeps the stream simple to reason about).</summary>
    public static double NextGaussian(this Random rng)
    {
        var u1 = 1.0 - rng.NextDouble(); // (0, 1]: log is finite
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Exponential with the given rate (mean 1/rate).</summary>
    public static double NextExponential(this Random rng, double rate) => -Math.Log(1.0 - rng.NextDouble()) / rate;

    /// <summary>Gamma(shape, scale) by Marsaglia and Tsang (2000); shape &lt; 1 uses the boost U^(1/shape).</summary>
    public static double NextGamma(this Random rng, double shape, double scale)
    {
        if (shape < 1)
        {
            var u = 1.0 - rng.NextDouble();
            return rng.NextGamma(shape + 1, scale) * Math.Pow(u, 1.0 / shape);
        }
        var d = shape - 1.0 / 3.0;
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = rng.NextGaussian();
                v = 1.0 + c * x;
            } while (v <= 0);
            v = v * v * v;
            var u = 1.0 - rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v * scale;
        }
    }
}
