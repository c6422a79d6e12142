using TokenFlow.Bench.Workload;
using TokenFlow.Workloads;

namespace TokenFlow.Bench.Tests;

/// <summary>Arrival plans: reproducible per seed from scenario files, and vLLM's knobs (rate, burstiness, lengths).</summary>
public sealed class PlanTests
{
    internal static string RepoFile(string relative, [System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", relative));

    private static IReadOnlyList<PlannedRequest> Plan(BenchSettings s)
    {
        var (scenario, seed) = BenchSession.ResolveScenario(s);
        return BenchPlanner.Plan(scenario, s.Knobs, seed, s.Duration);
    }

    private static BenchSettings Settings(string? scenario = null, VllmKnobs? knobs = null, int? seed = null, double? duration = null) => new()
    {
        Client = new Client.BenchClientOptions { BaseUrl = new Uri("http://127.0.0.1:1/") },
        ScenarioPath = scenario,
        Knobs = knobs ?? new VllmKnobs(),
        Seed = seed,
        Duration = duration,
    };

    [Fact]
    public void ScenarioPlanIsReproducible()
    {
        var path = RepoFile("scenarios/cpu-burst.json");
        var a = Plan(Settings(path, seed: 7));
        var b = Plan(Settings(path, seed: 7));
        var c = Plan(Settings(path, seed: 8));
        Assert.Equal(256, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // The bench plans exactly what the shared planner plans (same requests as the simulator).
        Assert.Equal(WorkloadPlanner.Plan(ScenarioLoader.Load(path), 7), a);
        // The scenario's own seed is the default.
        Assert.Equal(WorkloadPlanner.Plan(ScenarioLoader.Load(path), 1), Plan(Settings(path)));
        var prompts = new PromptFactory(7) { Calibration = new PromptCalibration(1, 0, true) };
        Assert.Equal(prompts.Build(3, 50), new PromptFactory(7) { Calibration = new PromptCalibration(1, 0, true) }.Build(3, 50));
        Assert.NotEqual(prompts.Build(3, 50), prompts.Build(4, 50));
    }

    [Fact]
    public void DurationAndNumPromptsTruncateThePlan()
    {
        var path = RepoFile("scenarios/cpu-burst.json");
        Assert.All(Plan(Settings(path, duration: 10)), p => Assert.True(p.ArrivalTime <= 10));
        Assert.Equal(20, Plan(Settings(path, new VllmKnobs { NumPrompts = 20 })).Count);
    }

    [Fact]
    public void InfiniteRequestRateSendsEverythingAtOnce()
    {
        var plan = Plan(Settings(knobs: new VllmKnobs { NumPrompts = 50, RandomInputLen = 32, RandomOutputLen = 16 }));
        Assert.Equal(50, plan.Count);
        Assert.All(plan, p => Assert.Equal((0.0, 32, 16), (p.ArrivalTime, p.PromptLength, p.OutputLength)));
        var inf = Plan(Settings(knobs: new VllmKnobs { NumPrompts = 50, RequestRate = double.PositiveInfinity }));
        Assert.All(inf, p => Assert.Equal(0.0, p.ArrivalTime));
    }

    [Theory]
    [InlineData(1.0)]   // Poisson: gap CV 1
    [InlineData(0.25)]  // burstier: CV 2
    [InlineData(4.0)]   // smoother: CV 0.5
    public void RequestRateAndBurstinessShapeTheGaps(double burstiness)
    {
        var knobs = new VllmKnobs { NumPrompts = 20000, RequestRate = 10, Burstiness = burstiness };
        var plan = Plan(Settings(knobs: knobs, seed: 3));
        Assert.Equal(plan, Plan(Settings(knobs: knobs, seed: 3)));
        var gaps = plan.Zip(plan.Skip(1), (a, b) => b.ArrivalTime - a.ArrivalTime).ToArray();
        var mean = gaps.Average();
        var cv = Math.Sqrt(gaps.Average(g => (g - mean) * (g - mean))) / mean;
        Assert.InRange(mean, 0.1 * 0.95, 0.1 * 1.05);
        Assert.InRange(cv, 1 / Math.Sqrt(burstiness) * 0.93, 1 / Math.Sqrt(burstiness) * 1.07);
    }

    [Fact]
    public void KnobsOverrideAScenario()
    {
        var path = RepoFile("scenarios/cpu-burst.json");
        var plan = Plan(Settings(path, new VllmKnobs { NumPrompts = 30, RequestRate = 5, RandomOutputLen = 100, RandomRangeRatio = 0.5, ConsumptionRate = 12 }));
        Assert.Equal(30, plan.Count);
        Assert.All(plan, p => Assert.InRange(p.OutputLength, 50, 150));
        Assert.All(plan, p => Assert.Equal(12, p.Rate));
        Assert.True(plan[0].ArrivalTime > 0); // Poisson arrivals replace the burst
    }

    [Fact]
    public void BadKnobsAreOneLineErrors()
    {
        Assert.Throws<BenchException>(() => Plan(Settings(knobs: new VllmKnobs { RequestRate = -1 })));
        Assert.Throws<BenchException>(() => Plan(Settings(knobs: new VllmKnobs { Burstiness = 2 })));
        Assert.Throws<BenchException>(() => Plan(Settings(knobs: new VllmKnobs { RandomRangeRatio = 1.5 })));
        var e = Assert.Throws<BenchException>(() => Plan(Settings("/nonexistent/scenario.json")));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void CalibrationSizesPromptsToTheServersTokenizer()
    {
        // 16 words → 40 tokens, 80 words → 200 tokens: 2.5 tokens/word, no overhead.
        var cal = PromptCalibration.FromProbes(16, 40, 80, 200);
        Assert.Equal(2.5, cal.TokensPerWord, 9);
        Assert.Equal(40, cal.WordsFor(100));
        var withOverhead = PromptCalibration.FromProbes(16, 26, 80, 90); // 1 token/word + 10 of template
        Assert.Equal(90, withOverhead.WordsFor(100));
    }
}
