using TokenFlow.Core.Engine;
using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

public sealed class SimulatorTests
{
    private static IReadOnlyList<PlannedRequest> Poisson(double rate, int count, int prompt = 256, int output = 256, int seed = 1) =>
        new Scenario
        {
            Arrivals = [new PoissonArrivals(rate, count)],
            PromptLength = new NormalLength(prompt, prompt * 0.2),
            OutputLength = new NormalLength(output, output * 0.2),
            Rate = RateDistribution.PaperMixed(),
        }.Plan(seed);

    private static SimulationConfig Config(string policy, HardwareProfile? hw = null, double fraction = 0.9, int? blocks = null) => new()
    {
        Hardware = hw ?? HardwareProfiles.Rtx4090,
        Model = ModelProfiles.Llama3_8B,
        Policy = policy,
        KvMemFraction = fraction,
        DeviceBlocksOverride = blocks,
    };

    [Theory]
    [InlineData("fcfs")]
    [InlineData("andes")]
    [InlineData("tokenflow")]
    public void Every_request_completes_and_the_kv_pools_return_to_full_under_pressure(string policy)
    {
        // A burst far larger than the device tier: preemptions must happen, and everything still drains.
        var plan = new Scenario
        {
            Arrivals = [new BurstArrivals(0, 40), new PoissonArrivals(4, 40)],
            PromptLength = new NormalLength(300, 60),
            OutputLength = new NormalLength(400, 80),
            Rate = RateDistribution.PaperMixed(),
        }.Plan(2);
        var r = Simulator.Run(Config(policy, blocks: 400), plan);
        Assert.True(r.KvReturnedToFull);
        Assert.Equal(plan.Count, r.Summary.CompletedRequests);
        Assert.Equal(plan.Sum(p => (long)p.OutputLength), r.Summary.Tokens);
        Assert.All(r.Traces, t => Assert.Equal(plan.Single(p => p.Id == t.Id).OutputLength, t.TokenTimes.Count));
        Assert.True(r.PeakDeviceBlocks <= 400);
        Assert.True(r.Preemptions > 0, "400 blocks (6,400 tokens) cannot hold 40 requests of ~700 tokens");
    }

    [Fact]
    public void Driving_the_engine_by_hand_leaves_valid_kv_and_full_free_lists()
    {
        var (engine, clock, kv) = Simulator.CreateEngine(Config("fcfs", blocks: 200));
        var plan = Poisson(50, 30, 200, 150);
        var next = 0;
        while (next < plan.Count || engine.HasWork || engine.Kv.Transfers.InFlight > 0)
        {
            while (next < plan.Count && plan[next].ArrivalTime <= clock.Now)
            {
                var p = plan[next++];
                engine.Submit(new Core.Requests.Request(p.Id, new int[p.PromptLength], p.OutputLength, p.Rate, p.ArrivalTime) { IgnoreEos = true });
            }
            if (engine.Step()) { engine.ValidateKv(); continue; }
            var t = Math.Min(engine.NextEventTime, next < plan.Count ? plan[next].ArrivalTime : double.PositiveInfinity);
            Assert.False(double.IsPositiveInfinity(t) && engine.HasWork, "stalled");
            if (double.IsPositiveInfinity(t)) break;
            clock.SleepUntil(Math.Max(t, clock.Now + 1e-6));
        }
        engine.ValidateKv();
        Assert.Equal(kv.HostBlocks, engine.Kv.Host.FreeCount);
        Assert.Equal(200, engine.Kv.Device.FreeCount);
        Assert.Equal(200, engine.Kv.Device.Total);
        Assert.Equal(plan.Count, engine.Counters.FinishedRequests);
    }

    [Fact]
    public void Higher_arrival_rate_never_lowers_mean_ttft()
    {
        double? previous = null;
        foreach (var rate in new[] { 0.5, 2, 4, 8 })
        {
            // Same seed: the Poisson gaps are the same draws scaled by 1/rate, so load is the only change.
            var r = Simulator.Run(Config("fcfs"), Poisson(rate, 150, 512, 512));
            var ttft = r.Summary.TtftMeanSeconds;
            if (previous is { } p) Assert.True(ttft >= p * 0.999, $"rate {rate}: mean TTFT {ttft} < {p}");
            previous = ttft;
        }
    }

    [Fact]
    public void With_ample_memory_tokenflow_matches_fcfs_token_throughput_within_1_percent()
    {
        var plan = Poisson(4, 200, 512, 512);
        var fcfs = Simulator.Run(Config("fcfs", HardwareProfiles.H200), plan);
        var tf = Simulator.Run(Config("tokenflow", HardwareProfiles.H200), plan);
        Assert.Equal(0, fcfs.Preemptions);
        Assert.InRange(tf.Summary.TokenThroughputTps / fcfs.Summary.TokenThroughputTps, 0.99, 1.01);
        Assert.True(tf.KvReturnedToFull && fcfs.KvReturnedToFull);
    }

    [Fact]
    public void Same_inputs_give_identical_results()
    {
        var plan = Poisson(6, 80);
        var a = Simulator.Run(Config("tokenflow", blocks: 600), plan);
        var b = Simulator.Run(Config("tokenflow", blocks: 600), plan);
        Assert.Equal(a.Summary, b.Summary);
        Assert.Equal(a.BytesToHost, b.BytesToHost);
    }

    [Fact]
    public void A_request_larger_than_the_device_tier_is_reported_not_hung()
    {
        var plan = new Scenario { Arrivals = [new BurstArrivals(0, 1)], PromptLength = new ConstantLength(5000), OutputLength = new ConstantLength(10) }.Plan();
        var e = Assert.Throws<InvalidOperationException>(() => Simulator.Run(Config("fcfs", blocks: 100), plan));
        Assert.Contains("stalled", e.Message);
    }

    [Fact]
    public void Baselines_move_no_bytes_and_ablation_flags_reach_the_engine()
    {
        var plan = Poisson(6, 60);
        var fcfs = Simulator.Run(Config("fcfs", blocks: 500), plan);
        Assert.Equal(0, fcfs.BytesToHost + fcfs.BytesToDevice);
        var cfg = Config("tokenflow") with { Engine = new EngineOptions { Kv = new() { LoadEvictOverlap = false, Offload = false } } };
        var (engine, _, _) = Simulator.CreateEngine(cfg);
        Assert.False(engine.Kv.Options.LoadEvictOverlap);
        Assert.False(engine.Kv.Options.Offload);
        var noOffload = Simulator.Run(cfg with { DeviceBlocksOverride = 500 }, plan);
        Assert.Equal(0, noOffload.SwapPreemptions);
    }
}
