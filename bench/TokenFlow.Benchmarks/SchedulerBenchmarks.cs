using BenchmarkDotNet.Attributes;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Benchmarks;

/// <summary>
/// Scheduler decision time with 1,000 live requests: a quarter fit on the device, the rest are
/// paused on the host with buffers of all depths. "Replan" forces a full re-plan on every call
/// (Δt = 0, the worst case); "Steady" is an iteration between re-plans.
/// </summary>
[MemoryDiagnoser]
public class SchedulerBenchmarks
{
    private const int Live = 1000;
    private LlmEngine _engine = null!;
    private VirtualClock _clock = null!;

    [Params("fcfs", "tokenflow-steady", "tokenflow-replan", "andes")]
    public string Policy { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _clock = new VirtualClock();
        var link = new LinkModel(50e9);
        IScheduler policy = Policy switch
        {
            "tokenflow-replan" => new TokenFlowScheduler(new TokenFlowOptions { ReplanInterval = 0 }),
            "tokenflow-steady" => new TokenFlowScheduler(new TokenFlowOptions { ReplanInterval = 1e9 }),
            _ => SchedulerFactory.Create(Policy),
        };
        var options = new EngineOptions { MaxNumSeqs = 512, Kv = new KvCacheOptions { DeviceBlocks = 16_000, HostBlocks = 200_000 } };
        var executor = new NullExecutor(_clock);
        _engine = new LlmEngine(options, _clock, executor, new VirtualTransferEngine(_clock, link, link), policy) { SnapshotInterval = double.PositiveInfinity };
        for (var i = 0; i < Live; i++)
            _engine.Submit(new Request($"r{i}", new int[512], 2048, 5 + i % 15, 0));
        // Warm up into a steady state: everyone admitted, prefilled and decoding or paused.
        for (var i = 0; i < 400; i++) { _engine.Step(); _clock.Advance(0.001); }
        Console.WriteLine($"// {Policy}: {_engine.ActiveCount} active, {_engine.WaitingCount} waiting, {_engine.Kv.Device.UsedCount}/{_engine.Kv.Device.Total} device blocks");
    }

    private readonly List<ScheduledSequence> _batch = new();

    /// <summary>One scheduling decision over the live set (no execution, no token delivery).</summary>
    [Benchmark]
    public int Decide()
    {
        _engine.ScheduleOnly(_batch);
        return _batch.Count;
    }

    private sealed class NullExecutor(VirtualClock clock) : IExecutor
    {
        public long KvBytesPerBlock => 2 << 20;
        public int? EosTokenId => null;
        public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
        {
            for (var i = 0; i < batch.Count; i++) if (batch[i].Samples) sampled[i] = 0;
            clock.Advance(0.02);
        }
    }
}
