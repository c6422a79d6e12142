using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

public sealed class AndesTests
{
    [Fact]
    public void Andes_preempts_nothing_without_memory_pressure()
    {
        // A queue forms (a burst of 300), but the device tier holds every request at once.
        var plan = new Scenario
        {
            Arrivals = [new BurstArrivals(0, 300), new PoissonArrivals(5, 100)],
            PromptLength = new NormalLength(512, 100),
            OutputLength = new NormalLength(256, 50),
            Rate = RateDistribution.Human(),
        }.Plan(1);
        var config = new SimulationConfig { Hardware = HardwareProfiles.H200, Model = ModelProfiles.Llama3_8B, Policy = "andes", KvMemFraction = 0.9 };
        var r = Simulator.Run(config, plan);
        Assert.True(r.Kv.DeviceTokens > plan.Sum(p => p.PromptLength + p.OutputLength), "the device must hold every request");
        Assert.Equal(plan.Count, r.Summary.CompletedRequests);
        Assert.Equal(0, r.Preemptions);
        Assert.Equal(0, r.RecomputedTokens);
    }
}
