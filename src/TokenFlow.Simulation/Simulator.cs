using System.Diagnostics;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Metrics;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;
using TokenFlow.Workloads;

namespace TokenFlow.Simulation;

/// <summary>
/// The discrete-event driver: injects planned requests into a real <see cref="LlmEngine"/> at their
/// arrival times, runs iterations whose cost the <see cref="SimulatedExecutor"/> models, and, when an
/// iteration does no work, jumps the virtual clock to the next arrival or engine event.
/// </summary>
public static class Simulator
{
    /// <summary>Runs <paramref name="plan"/> (sorted by arrival) to completion and summarises it.</summary>
    public static SimulationResult Run(SimulationConfig config, IReadOnlyList<PlannedRequest> plan,
        Action<SimulationProgress>? progress = null, CancellationToken cancel = default)
    {
        var run = new SimulationRun(config);
        return run.Execute(plan, progress, cancel);
    }

    /// <summary>The engine a run would build, for tests that drive it by hand.</summary>
    public static (LlmEngine Engine, VirtualClock Clock, KvSizing Kv) CreateEngine(SimulationConfig config, IEngineObserver? observer = null)
    {
        // Policies without a host tier (fcfs, andes) skip write-through inside the engine (IScheduler.UsesHostTier).
        var engineOptions = config.Engine;
        var sizing = KvSizing.For(config.Hardware, config.Model, config.KvMemFraction, engineOptions.Kv.BlockSize,
            engineOptions.MaxBatchedTokens, engineOptions.MaxNumSeqs);
        if (config.DeviceBlocksOverride is { } d) sizing = sizing with { DeviceBlocks = d };
        engineOptions = engineOptions with { Kv = engineOptions.Kv with { DeviceBlocks = sizing.DeviceBlocks, HostBlocks = sizing.HostBlocks } };
        var clock = new VirtualClock();
        var executor = new SimulatedExecutor(new IterationCostModel(config.Hardware, config.Model), clock, engineOptions.Kv.BlockSize);
        var transfers = new VirtualTransferEngine(clock, config.Hardware.ToDevice, config.Hardware.ToHost);
        var scheduler = SchedulerFactory.Create(config.Policy, config.Scheduler);
        var engine = new LlmEngine(engineOptions, clock, executor, transfers, scheduler, observer)
        {
            SnapshotInterval = double.PositiveInfinity, // nobody watches a simulation's dashboard
        };
        return (engine, clock, sizing);
    }

    private sealed class SimulationRun(SimulationConfig config) : IEngineObserver
    {
        private readonly Dictionary<int, int[]> _prompts = new(); // prompts are never read: share one array per length
        private RequestTrace[] _traces = [];
        private Dictionary<Request, int> _index = new(ReferenceEqualityComparer.Instance);
        private int _finished;

        public SimulationResult Execute(IReadOnlyList<PlannedRequest> plan, Action<SimulationProgress>? progress, CancellationToken cancel)
        {
            var wall = Stopwatch.StartNew();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (engine, clock, sizing) = CreateEngine(config, this);
            _traces = new RequestTrace[plan.Count];
            _index = new Dictionary<Request, int>(plan.Count, ReferenceEqualityComparer.Instance);
            var transfers = engine.Kv.Transfers;
            var next = 0;
            long steps = 0, idleSpins = 0;
            var rejected = 0;
            var lastProgress = -1;
            if (plan.Count > 0) clock.SleepUntil(plan[0].ArrivalTime);
            while (next < plan.Count || engine.HasWork || transfers.InFlight > 0)
            {
                while (next < plan.Count && plan[next].ArrivalTime <= clock.Now)
                {
                    var p = plan[next];
                    if (QueueDelay.Exceeds(engine.Counters, engine.Estimates, config.MaxQueueDelay))
                    {
                        rejected++;
                        next++;
                        continue;
                    }
                    var r = new Request(p.Id, Prompt(p.PromptLength), p.OutputLength, p.Rate, p.ArrivalTime) { IgnoreEos = true };
                    _index[r] = next;
                    engine.Submit(r);
                    next++;
                }
                if ((++steps & 1023) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (progress is not null && _finished != lastProgress)
                    {
                        lastProgress = _finished;
                        progress(new SimulationProgress(_finished, plan.Count, clock.Now));
                    }
                }
                if (engine.Step()) { idleSpins = 0; continue; }

                var t = engine.NextEventTime;
                if (next < plan.Count) t = Math.Min(t, plan[next].ArrivalTime);
                if (double.IsPositiveInfinity(t))
                {
                    if (!engine.HasWork && transfers.InFlight == 0) break;
                    throw new InvalidOperationException(
                        $"simulation stalled at t={clock.Now:0.###}s: {engine.WaitingCount} waiting and {engine.ActiveCount} active requests cannot be scheduled " +
                        $"(device KV {sizing.DeviceBlocks} blocks of {sizing.BlockSize} tokens; is a request larger than the device tier?)");
                }
                if (t <= clock.Now)
                {
                    // An event due now that the step did not consume: nudge time forward, but never loop forever.
                    if (++idleSpins > 1_000_000) throw new InvalidOperationException($"simulation made no progress at t={clock.Now:0.###}s");
                    t = clock.Now + 1e-6;
                }
                clock.SleepUntil(t);
            }
            progress?.Invoke(new SimulationProgress(_finished, plan.Count, clock.Now));

            var kvFull = CheckKvFull(engine);
            for (var i = 0; i < _traces.Length; i++)
                _traces[i] ??= new RequestTrace(plan[i].Id, plan[i].ArrivalTime, plan[i].Rate, []) { PromptTokens = plan[i].PromptLength, Completed = false };
            var summary = MetricsCalculator.Summarize(_traces, config.Metrics);
            var c = engine.Counters;
            return new SimulationResult
            {
                Policy = config.Policy,
                Summary = summary,
                Kv = sizing with { DeviceBlocks = engine.Kv.Device.Total },
                SwapPreemptions = c.SwapPreemptions,
                RecomputePreemptions = c.RecomputePreemptions,
                Loads = c.Loads,
                RecomputedTokens = c.RecomputedTokens,
                BytesToHost = engine.Kv.BytesToHost,
                BytesToDevice = engine.Kv.BytesToDevice,
                PeakDeviceBlocks = engine.Kv.PeakDeviceUsed,
                Iterations = c.Iterations,
                SimulatedSeconds = _traces.Where(x => x.TokenTimes.Count > 0).Select(x => x.TokenTimes[^1]).DefaultIfEmpty(0).Max(),
                BusySeconds = c.BusySeconds,
                WallSeconds = wall.Elapsed.TotalSeconds,
                CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds,
                KvReturnedToFull = kvFull,
                Traces = _traces,
                RejectedRequests = rejected,
            };
        }

        private static bool CheckKvFull(LlmEngine engine)
        {
            engine.ValidateKv();
            var kv = engine.Kv;
            return kv.Device.FreeCount == kv.Device.Total && kv.Host.FreeCount == kv.Host.Total
                && kv.Device.PendingFreeCount == 0 && kv.Host.PendingFreeCount == 0 && kv.ReservedForLoads == 0;
        }

        private int[] Prompt(int length)
        {
            if (!_prompts.TryGetValue(length, out var a)) _prompts[length] = a = new int[length];
            return a;
        }

        public void OnToken(Request request, int token, double time) { }

        public void OnFinished(Request request)
        {
            if (!_index.Remove(request, out var i)) return;
            _finished++;
            _traces[i] = new RequestTrace(request.Id, request.ArrivalTime, request.Rate, request.TokenTimes)
            {
                PromptTokens = request.PromptLength,
                Completed = request.FinishReason != FinishReason.Abort,
            };
        }
    }
}
