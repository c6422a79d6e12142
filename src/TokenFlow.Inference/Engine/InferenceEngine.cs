using TokenFlow.Core.Engine;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Inference.Engine;

/// <summary>
/// The core engine wired to the real model: an <see cref="LlmEngine"/> driving a
/// <see cref="CpuModelExecutor"/>, with a <see cref="ThreadedTransferEngine"/> copying KV blocks
/// between the executor's arenas on its own threads (optionally capped to emulate PCIe).
/// </summary>
public sealed class InferenceEngine : IDisposable
{
    private InferenceEngine(LlmEngine engine, CpuModelExecutor executor, ThreadedTransferEngine transfers, SystemClock clock)
    {
        Engine = engine;
        Executor = executor;
        Transfers = transfers;
        Clock = clock;
    }

    public LlmEngine Engine { get; }
    public CpuModelExecutor Executor { get; }
    public ThreadedTransferEngine Transfers { get; }
    public SystemClock Clock { get; }

    /// <param name="options">Batching limits and KV tiers (block counts and size are taken from <c>options.Kv</c>).</param>
    /// <param name="scheduler">Defaults to <see cref="FcfsScheduler"/>.</param>
    /// <param name="bandwidthCapBytesPerSecond">Emulated PCIe bandwidth per direction; null copies at memory speed.</param>
    public static InferenceEngine Create(LoadedModel model, EngineOptions? options = null, IScheduler? scheduler = null,
        IEngineObserver? observer = null, int? threads = null, double? bandwidthCapBytesPerSecond = null)
    {
        options ??= new EngineOptions();
        var executor = model.CreateExecutor(options.Kv.DeviceBlocks, options.Kv.HostBlocks, options.Kv.BlockSize, threads);
        var clock = new SystemClock();
        var transfers = new ThreadedTransferEngine(clock, executor, bandwidthCapBytesPerSecond);
        var engine = new LlmEngine(options, clock, executor, transfers, scheduler ?? new FcfsScheduler(), observer);
        return new InferenceEngine(engine, executor, transfers, clock);
    }

    /// <summary>Steps the engine until no request is left (sleeping while only copies are in flight).</summary>
    public void RunUntilIdle(CancellationToken cancel = default)
    {
        while (Engine.HasWork && !cancel.IsCancellationRequested)
            if (!Engine.Step()) Clock.SleepUntil(Math.Min(Engine.NextEventTime, Clock.Now + 0.01));
    }

    public void Dispose()
    {
        Transfers.Dispose();
        Executor.Dispose();
        Clock.Dispose();
    }
}
