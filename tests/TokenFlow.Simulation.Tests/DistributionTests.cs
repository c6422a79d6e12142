using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

/// <summary>Large seeded samples: each process's statistics land near their definition.</summary>
public sealed class DistributionTests
{
    private static (double Mean, double Cv) GapStats(ArrivalProcess process, int seed = 11)
    {
        var times = process.Generate(new Random(seed)).Select(e => e.Time).ToArray();
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToArray();
        var mean = gaps.Average();
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Length - 1));
        return (mean, sd / mean);
    }

    [Fact]
    public void Poisson_gaps_have_mean_one_over_rate_and_cv_one()
    {
        var (mean, cv) = GapStats(new PoissonArrivals(10, 40_000));
        Assert.InRange(mean, 0.1 * 0.98, 0.1 * 1.02);
        Assert.InRange(cv, 0.97, 1.03);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Gamma_gaps_have_the_requested_mean_and_cv(double cv)
    {
        var (mean, measured) = GapStats(new GammaArrivals(4, cv, 60_000));
        Assert.InRange(mean, 0.25 * 0.95, 0.25 * 1.05);
        Assert.InRange(measured, cv * 0.9, cv * 1.1);
    }

    [Fact]
    public void Burst_puts_every_request_at_its_time()
    {
        var times = new BurstArrivals(3.5, 128).Generate(new Random(1)).Select(e => e.Time).ToArray();
        Assert.Equal(128, times.Length);
        Assert.All(times, t => Assert.Equal(3.5, t));
    }

    [Fact]
    public void Normal_lengths_have_mean_and_sd_and_are_clipped_at_one()
    {
        var rng = new Random(5);
        var d = new NormalLength(512, 102.4);
        var xs = Enumerable.Range(0, 50_000).Select(_ => (double)d.Sample(rng)).ToArray();
        var mean = xs.Average();
        var sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / xs.Length);
        Assert.InRange(mean, 512 * 0.99, 512 * 1.01);
        Assert.InRange(sd, 102.4 * 0.97, 102.4 * 1.03);
        var wide = new NormalLength(2, 50);
        Assert.All(Enumerable.Range(0, 5000).Select(_ => wide.Sample(rng)), x => Assert.True(x >= 1));
    }

    [Fact]
    public void Uniform_lengths_cover_both_ends_inclusive()
    {
        var rng = new Random(5);
        var xs = Enumerable.Range(0, 20_000).Select(_ => new UniformLength(64, 128).Sample(rng)).ToArray();
        Assert.Equal(64, xs.Min());
        Assert.Equal(128, xs.Max());
        Assert.InRange(xs.Average(), 95, 97);
    }

    [Fact]
    public void Paper_mixture_is_40_percent_at_15_and_60_at_20()
    {
        var rng = new Random(9);
        var xs = Enumerable.Range(0, 50_000).Select(_ => RateDistribution.PaperMixed().Sample(rng)).ToArray();
        Assert.All(xs, x => Assert.Contains(x, new[] { 15.0, 20.0 }));
        Assert.InRange(xs.Count(x => x == 15) / (double)xs.Length, 0.39, 0.41);
    }

    [Fact]
    public void Human_rates_are_readers_3_to_10_and_20_percent_listeners_2_to_4()
    {
        var rng = new Random(9);
        var d = RateDistribution.Human();
        var xs = Enumerable.Range(0, 50_000).Select(_ => d.Sample(rng)).ToArray();
        Assert.All(xs, x => Assert.InRange(x, 2, 10));
        // Below 3 only listeners can be: half their mass (2–3 of 2–4), i.e. 10% of all.
        Assert.InRange(xs.Count(x => x < 3) / (double)xs.Length, 0.09, 0.11);
        // Mean: 0.8·6.5 + 0.2·3 = 5.8.
        Assert.InRange(xs.Average(), 5.7, 5.9);
        Assert.Equal(5.8, d.Mean, 6);
    }

    [Fact]
    public void Uniform_rate_mixture_from_json_matches_its_weights()
    {
        var s = ScenarioLoader.Parse("""
            { "arrivals": { "type": "burst", "count": 20000 },
              "rate": { "type": "mixture", "components": [ { "weight": 3, "min": 1, "max": 2 }, { "weight": 1, "value": 50 } ] } }
            """);
        var plan = s.Plan(4);
        Assert.InRange(plan.Count(p => p.Rate == 50) / (double)plan.Count, 0.24, 0.26);
        Assert.All(plan.Where(p => p.Rate != 50), p => Assert.InRange(p.Rate, 1, 2));
    }
}
