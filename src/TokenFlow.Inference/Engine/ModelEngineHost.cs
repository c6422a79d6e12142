using TokenFlow.Core.Engine;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Inference.Engine;

/// <summary>The <see cref="EngineHost"/> over a model's CPU executor: what <c>generate</c> and the benches run.</summary>
public static class ModelEngineHost
{
    /// <summary>A host over a freshly created CPU executor of <paramref name="model"/> (owned and disposed by the host).</summary>
    /// <param name="options">Batching limits and KV tiers (block counts and size are taken from <c>options.Kv</c>).</param>
    /// <param name="scheduler">Defaults to <see cref="FcfsScheduler"/>.</param>
    /// <param name="bandwidthCap">Emulated PCIe bandwidth per direction; null copies at memory speed.</param>
    public static EngineHost Create(LoadedModel model, EngineOptions? options = null, IScheduler? scheduler = null,
        IEngineObserver? observer = null, int? threads = null, double? bandwidthCap = null)
    {
        options ??= new EngineOptions();
        var executor = model.CreateExecutor(options.Kv.DeviceBlocks, options.Kv.HostBlocks, options.Kv.BlockSize, threads);
        return new EngineHost(options, executor, executor, scheduler ?? new FcfsScheduler(), observer, bandwidthCap, executor);
    }
}
