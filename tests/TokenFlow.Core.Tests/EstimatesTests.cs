using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;

namespace TokenFlow.Core.Tests;

/// <summary>Iteration-time estimates that follow a machine whose speed changes.</summary>
public sealed class EstimatesTests
{
    private static double Truth(int d, int p, double slowdown) => slowdown * (0.02 + 2e-4 * d + 1e-4 * p);

    [Fact]
    public void A_sudden_halving_of_speed_is_followed_within_a_few_iterations_and_raises_the_uncertainty()
    {
        var e = new EngineEstimates();
        var rng = new Random(3);
        for (var i = 0; i < 400; i++)
        {
            var (d, p) = (rng.Next(1, 64), rng.Next(2) == 0 ? 0 : rng.Next(1, 2048));
            e.Observe(d, p, Truth(d, p, 1));
        }
        Assert.InRange(e.Predict(32, 0) / Truth(32, 0, 1), 0.95, 1.05);
        Assert.True(e.Uncertainty < 0.05, $"uncertainty {e.Uncertainty:F3} with a steady machine");

        // The machine halves its speed: within 15 iterations (well inside one 0.5 s re-plan) the
        // prediction is within 10 % again; meanwhile the uncertainty rose.
        var peak = 0.0;
        for (var i = 0; i < 15; i++)
        {
            var (d, p) = (rng.Next(1, 64), rng.Next(2) == 0 ? 0 : rng.Next(1, 2048));
            e.Observe(d, p, Truth(d, p, 2));
            peak = Math.Max(peak, e.Uncertainty);
        }
        Assert.True(peak > 0.2, $"uncertainty peaked at {peak:F3}");
        Assert.InRange(e.Predict(32, 0) / Truth(32, 0, 2), 0.9, 1.1);
        Assert.InRange(e.Predict(0, 1024) / Truth(0, 1024, 2), 0.9, 1.1);
        Assert.InRange(e.DecodeCapacity(32) / (32 / Truth(32, 0, 2)), 0.9, 1.1);

        for (var i = 0; i < 100; i++)
        {
            var (d, p) = (rng.Next(1, 64), rng.Next(2) == 0 ? 0 : rng.Next(1, 2048));
            e.Observe(d, p, Truth(d, p, 2));
        }
        Assert.True(e.Uncertainty < 0.05, $"uncertainty {e.Uncertainty:F3} once the machine is steady again");
    }

    /// <summary>An executor whose iterations take twice as long from <paramref name="slowAt"/> on (virtual time).</summary>
    private sealed class HalvingExecutor(VirtualClock clock, double slowAt) : IExecutor
    {
        public long KvBytesPerBlock => 1 << 20;
        public int? EosTokenId => null;

        public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
        {
            int d = 0, p = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Count == 1) d++; else p += batch[i].Count;
                if (batch[i].Samples) sampled[i] = FakeExecutor.TokenFor(batch[i].Request, batch[i].Start + batch[i].Count);
            }
            clock.Advance(Truth(d, p, clock.Now >= slowAt ? 2 : 1));
        }
    }

    [Fact]
    public void In_a_running_engine_the_estimate_follows_a_halving_executor_within_one_replan()
    {
        var clock = new VirtualClock();
        var link = new Transfers.LinkModel(25e9);
        var engine = new LlmEngine(new EngineOptions(), clock, new HalvingExecutor(clock, slowAt: 3),
            new Transfers.VirtualTransferEngine(clock, link, link), new TokenFlowScheduler(new TokenFlowOptions()));
        for (var i = 0; i < 16; i++) engine.Submit(TestRig.MakeRequest($"h{i}", 64, 2000, 20, seed: i));
        var replan = new TokenFlowOptions().ReplanInterval;
        double? errorOneReplanAfter = null, errorBefore = null;
        while (engine.HasWork && clock.Now < 3 + 2 * replan)
        {
            if (!engine.Step()) clock.SleepUntil(clock.Now + 1e-3);
            var running = engine.Active.Count(r => r.State == RequestState.Running);
            var relative = engine.Estimates.Predict(running, 0) / Truth(running, 0, clock.Now >= 3 ? 2 : 1);
            if (clock.Now < 3) errorBefore = relative;
            else if (clock.Now >= 3 + replan) errorOneReplanAfter ??= relative;
        }
        Assert.InRange(errorBefore!.Value, 0.9, 1.1);
        Assert.InRange(errorOneReplanAfter!.Value, 0.9, 1.1);
        engine.AbortAll();
    }
}
