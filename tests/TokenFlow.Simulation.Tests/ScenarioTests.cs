using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

public sealed class ScenarioTests
{
    public static TheoryData<string, int, bool> PaperSetups => new()
    {
        { "paper-rtx4090-a.json", 60, true }, { "paper-rtx4090-b.json", 80, true },
        { "paper-rtx4090-c.json", 600, false }, { "paper-rtx4090-d.json", 600, false },
        { "paper-h200-a.json", 400, true }, { "paper-h200-b.json", 200, true },
        { "paper-h200-c.json", 600, false }, { "paper-h200-d.json", 600, false },
    };

    [Theory]
    [MemberData(nameof(PaperSetups))]
    public void Paper_scenarios_load_with_their_table_1_shape(string file, int count, bool burst)
    {
        var s = ScenarioLoader.Load(TestPaths.Scenario(file));
        var plan = s.Plan();
        Assert.Equal(count, plan.Count);
        if (burst) Assert.All(plan, p => Assert.Equal(0, p.ArrivalTime));
        else Assert.True(plan[^1].ArrivalTime > 60, "Poisson arrivals spread over time");
        Assert.All(plan, p => Assert.Contains(p.Rate, new[] { 15.0, 20.0 }));
        Assert.Equal(file.Contains("h200") ? 0.3 : null, s.KvMemFraction);
        var outMean = plan.Average(p => p.OutputLength);
        var expected = (file.Contains("h200") ? 2 : 1) * (file.EndsWith("b.json") || file.EndsWith("d.json") ? 2048 : 1024);
        Assert.InRange(outMean, expected * 0.95, expected * 1.05);
    }

    [Fact]
    public void Cpu_burst_is_a_burst_of_128_then_poisson_with_human_rates()
    {
        var s = ScenarioLoader.Load(TestPaths.Scenario("cpu-burst.json"));
        var plan = s.Plan();
        Assert.Equal(128, plan.Count(p => p.ArrivalTime == 0));
        Assert.True(plan.Count > 128);
        Assert.All(plan, p => Assert.InRange(p.PromptLength, 32, 64));
        Assert.All(plan, p => Assert.InRange(p.OutputLength, 96, 192));
        Assert.All(plan, p => Assert.InRange(p.Rate, 2, 10));
        Assert.NotNull(s.DeviceKvTokens);
    }

    [Fact]
    public void Same_seed_same_plan_other_seed_other_plan()
    {
        var s = ScenarioLoader.Load(TestPaths.Scenario("paper-rtx4090-c.json"));
        Assert.Equal(s.Plan(7), s.Plan(7));
        Assert.NotEqual(s.Plan(7).Select(p => p.ArrivalTime), s.Plan(8).Select(p => p.ArrivalTime));
        Assert.Equal(s.Plan(), s.Plan(s.Seed));
    }

    [Fact]
    public void Plan_is_sorted_by_time_with_unique_ids()
    {
        var s = ScenarioLoader.Parse("""
            { "seed": 3, "arrivals": [ { "type": "poisson", "rate": 5, "count": 300 }, { "type": "burst", "count": 50, "at": 10 },
              { "type": "gamma", "rate": 2, "cv": 2, "count": 100, "start": 5 } ] }
            """);
        var plan = s.Plan();
        Assert.Equal(450, plan.Count);
        for (var i = 1; i < plan.Count; i++) Assert.True(plan[i].ArrivalTime >= plan[i - 1].ArrivalTime);
        Assert.Equal(plan.Count, plan.Select(p => p.Id).Distinct().Count());
        Assert.Equal(50, plan.Count(p => p.ArrivalTime == 10));
        // The gamma stream alone starts at its "start".
        var gamma = ScenarioLoader.Parse("""{ "seed": 3, "arrivals": { "type": "gamma", "rate": 2, "cv": 2, "count": 100, "start": 5 } }""").Plan();
        Assert.All(gamma, p => Assert.True(p.ArrivalTime >= 5, $"arrival at {p.ArrivalTime}"));
    }

    [Fact]
    public void Defaults_and_shorthands_parse()
    {
        var s = ScenarioLoader.Parse("""{ "arrivals": { "type": "burst", "count": 4 }, "prompt_len": 100, "output_len": { "type": "constant", "value": 7 }, "rate": 12.5 }""");
        var plan = s.Plan();
        Assert.All(plan, p => { Assert.Equal(100, p.PromptLength); Assert.Equal(7, p.OutputLength); Assert.Equal(12.5, p.Rate); Assert.Equal(0, p.ArrivalTime); });
    }

    [Fact]
    public void Poisson_duration_bounds_the_arrivals()
    {
        var plan = ScenarioLoader.Parse("""{ "arrivals": { "type": "poisson", "rate": 20, "duration": 100 } }""").Plan();
        Assert.All(plan, p => Assert.InRange(p.ArrivalTime, 0, 100));
        Assert.InRange(plan.Count, 1800, 2200);
    }
}
