using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

/// <summary>The tokenflow policy past capacity: it degrades to fcfs instead of collapsing.</summary>
public sealed class OverloadTests
{
    /// <summary>Bursty, prompt-heavy arrivals (gamma CV 4 plus a burst past prefill capacity) with human readers, on a small device tier.</summary>
    private static IReadOnlyList<PlannedRequest> Overloaded(int seed) => new Scenario
    {
        Arrivals = [new GammaArrivals(6, 4, 600, Duration: 40), new PoissonArrivals(30, 400, Start: 10, Duration: 10)],
        PromptLength = new NormalLength(2000, 1200),
        OutputLength = new NormalLength(200, 120),
        Rate = RateDistribution.Human(),
    }.Plan(seed);

    private static SimulationConfig Config(string policy) => new()
    {
        Hardware = HardwareProfiles.Rtx4090,
        Model = ModelProfiles.Llama3_8B,
        Policy = policy,
        DeviceBlocksOverride = 3000,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Past_capacity_tokenflow_keeps_fcfs_token_throughput_and_recomputes_less_than_the_prompts(int seed)
    {
        var plan = Overloaded(seed);
        var fcfs = Simulator.Run(Config("fcfs"), plan);
        var tf = Simulator.Run(Config("tokenflow"), plan);
        Assert.Equal(plan.Count, tf.Summary.CompletedRequests);
        Assert.True(tf.KvReturnedToFull);
        // The scenario is overloaded: fcfs's queue takes far longer to drain than the arrivals last.
        Assert.True(fcfs.Summary.TtftP99Seconds > 10, $"fcfs P99 TTFT {fcfs.Summary.TtftP99Seconds:F1}s: not overloaded");
        var ratio = tf.Summary.TokenThroughputTps / fcfs.Summary.TokenThroughputTps;
        Assert.True(ratio >= 0.97, $"tokenflow token throughput {ratio:F3}x fcfs");
        var prompts = plan.Sum(p => (long)p.PromptLength);
        Assert.True(tf.RecomputedTokens <= prompts, $"recomputed {tf.RecomputedTokens} tokens against {prompts} prompt tokens");
    }
}

/// <summary><c>--max-queue-delay</c> in the simulator: refusals are counted and never served.</summary>
public sealed class QueueDelayTests
{
    [Fact]
    public void Newcomers_past_the_queue_delay_bound_are_rejected_and_counted()
    {
        var plan = new Scenario
        {
            Arrivals = [new BurstArrivals(0, 50), new PoissonArrivals(40, 400, Start: 1)],
            PromptLength = new NormalLength(4000, 500),
            OutputLength = new NormalLength(50, 10),
            Rate = RateDistribution.Human(),
        }.Plan(1);
        SimulationConfig Config(double? bound) => new() { Hardware = HardwareProfiles.Rtx4090, Model = ModelProfiles.Llama3_8B, Policy = "tokenflow", MaxQueueDelay = bound };
        var open = Simulator.Run(Config(null), plan);
        var bounded = Simulator.Run(Config(2), plan);
        Assert.Equal(0, open.RejectedRequests);
        Assert.Equal(plan.Count, open.Summary.CompletedRequests);
        Assert.True(bounded.RejectedRequests > 0, "a prompt backlog far past prefill capacity must trigger refusals");
        Assert.Equal(plan.Count, bounded.Summary.CompletedRequests + bounded.RejectedRequests);
        Assert.True(bounded.KvReturnedToFull);
        Assert.True(bounded.Summary.TtftP99Seconds < open.Summary.TtftP99Seconds);
    }
}
