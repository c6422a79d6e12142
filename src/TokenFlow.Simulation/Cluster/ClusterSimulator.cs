using System.Diagnostics;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Metrics;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Time;
using TokenFlow.Routing.Load;
using TokenFlow.Routing.Policies;
using TokenFlow.Routing.Replicas;
using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Cluster;

/// <summary>
/// N simulated replicas (the same engine, policies and cost model as <see cref="Simulator"/>) behind
/// the router's own policy code (<see cref="IRoutingPolicy"/>, <see cref="ReplicaTracker"/>). Each
/// replica has its own virtual clock; before every arrival and every poll all are advanced to that
/// instant. Load reports are taken every PollInterval and the router counts what it sent since, as the
/// real router does.
/// </summary>
public static class ClusterSimulator
{
    public static ClusterResult Run(ClusterConfig config, IReadOnlyList<PlannedRequest> plan)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Replicas, 1);
        var wall = Stopwatch.StartNew();
        var policy = RoutingPolicies.Create(config.Router, config.BufferAware);
        // Requests are folded into the metrics as they finish: an hour of a big cluster is millions of them.
        var metrics = new MetricsAccumulator(plan.Select(p => p.ArrivalTime).ToArray(), config.Replica.Metrics);
        var replicas = new Replica[config.Replicas];
        for (var i = 0; i < replicas.Length; i++) replicas[i] = new Replica(i, config.Replica, metrics);
        var views = new ReplicaView[replicas.Length];
        var perReplica = new int[replicas.Length];
        var prompts = new Dictionary<int, int[]>();
        var rejected = 0;
        var nextPoll = plan.Count > 0 ? plan[0].ArrivalTime : 0;
        for (var next = 0; next < plan.Count;)
        {
            var arrival = plan[next].ArrivalTime;
            if (nextPoll <= arrival)
            {
                foreach (var r in replicas) { r.AdvanceTo(nextPoll); r.Tracker.OnReport(LoadReportBuilder.Build(r.Engine, nextPoll), nextPoll); }
                nextPoll += config.PollInterval;
                continue;
            }
            foreach (var r in replicas) r.AdvanceTo(arrival);
            var p = plan[next];
            for (var i = 0; i < replicas.Length; i++) views[i] = replicas[i].Tracker.View();
            var choice = policy.Choose(views, new RoutingRequest(p.Rate, p.PromptLength));
            if (choice < 0) rejected++;
            else
            {
                var target = replicas[choice];
                if (!prompts.TryGetValue(p.PromptLength, out var prompt)) prompts[p.PromptLength] = prompt = new int[p.PromptLength];
                target.Tracker.OnDispatched(arrival, p.Rate, target.Engine.Kv.BlocksFor(p.PromptLength));
                target.Submit(new Request(p.Id, prompt, p.OutputLength, p.Rate, p.ArrivalTime) { IgnoreEos = true }, next);
                perReplica[choice]++;
            }
            next++;
        }
        foreach (var r in replicas) r.Drain();
        return new ClusterResult
        {
            Config = config,
            Summary = metrics.Summarize(),
            PerReplica = perReplica,
            Rejected = rejected,
            Preemptions = replicas.Sum(r => r.Engine.Counters.SwapPreemptions + r.Engine.Counters.RecomputePreemptions),
            WallSeconds = wall.Elapsed.TotalSeconds,
            KvReturnedToFull = replicas.All(r => r.KvFull()),
        };
    }

    private sealed class Replica : IEngineObserver
    {
        private readonly MetricsAccumulator _metrics;
        private readonly Dictionary<Request, int> _index = new(ReferenceEqualityComparer.Instance);
        private readonly VirtualClock _clock;

        public Replica(int index, SimulationConfig config, MetricsAccumulator metrics)
        {
            _metrics = metrics;
            (Engine, _clock, _) = Simulator.CreateEngine(config, this);
            Tracker = new ReplicaTracker(index, $"replica-{index}");
        }

        public LlmEngine Engine { get; }
        public ReplicaTracker Tracker { get; }

        public void Submit(Request r, int planIndex)
        {
            _index[r] = planIndex;
            Engine.Submit(r);
        }

        /// <summary>Runs this replica's engine until its clock reaches <paramref name="t"/> (the last iteration may end past it).</summary>
        public void AdvanceTo(double t)
        {
            var spins = 0;
            while (_clock.Now < t)
            {
                if (Engine.Step()) continue;
                var next = Math.Min(Engine.NextEventTime, t);
                if (next <= _clock.Now)
                {
                    if (++spins > 1_000_000) throw new InvalidOperationException($"replica made no progress at t={_clock.Now:0.###}s");
                    next = _clock.Now + 1e-6;
                }
                _clock.SleepUntil(next);
            }
        }

        /// <summary>Runs until every submitted request has finished.</summary>
        public void Drain()
        {
            var spins = 0;
            while (Engine.HasWork || Engine.Kv.Transfers.InFlight > 0)
            {
                if (Engine.Step()) { spins = 0; continue; }
                var next = Engine.NextEventTime;
                if (double.IsPositiveInfinity(next))
                {
                    if (!Engine.HasWork && Engine.Kv.Transfers.InFlight == 0) break;
                    throw new InvalidOperationException($"replica stalled at t={_clock.Now:0.###}s with {Engine.WaitingCount} waiting and {Engine.ActiveCount} active");
                }
                if (next <= _clock.Now)
                {
                    if (++spins > 1_000_000) throw new InvalidOperationException($"replica made no progress at t={_clock.Now:0.###}s");
                    next = _clock.Now + 1e-6;
                }
                _clock.SleepUntil(next);
            }
        }

        public bool KvFull()
        {
            var kv = Engine.Kv;
            return kv.Device.FreeCount == kv.Device.Total && kv.Host.FreeCount == kv.Host.Total;
        }

        public void OnToken(Request request, int token, double time)
        {
            var times = request.TokenTimes; // time is its last entry
            if (times.Count >= 2) _metrics.AddGap(time - times[^2]);
        }

        public void OnFinished(Request request)
        {
            Tracker.OnCompleted();
            if (!_index.Remove(request, out var i)) return;
            _metrics.Add(i, new RequestTrace(request.Id, request.ArrivalTime, request.Rate, request.TokenTimes)
            {
                PromptTokens = request.PromptLength,
                Completed = request.FinishReason != FinishReason.Abort,
            });
        }
    }
}
