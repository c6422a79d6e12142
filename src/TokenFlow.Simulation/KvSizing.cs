namespace TokenFlow.Simulation;

/// <summary>Sizes of the two KV tiers for a model on a GPU.</summary>
public sealed record KvSizing(int DeviceBlocks, int HostBlocks, int BlockSize, long BlockBytes, double WeightBytes, double ActivationReserveBytes)
{
    /// <summary>vLLM's default gpu_memory_utilization.</summary>
    public const double DefaultMemFraction = 0.9;

    public long DeviceTokens => (long)DeviceBlocks * BlockSize;

    /// <summary>
    /// Device KV = (GPU memory − weights − activation reserve) × <paramref name="memFraction"/>, in
    /// blocks of <paramref name="blockSize"/> tokens; the host tier gets the profile's host RAM budget.
    /// </summary>
    public static KvSizing For(HardwareProfile hw, ModelProfile model, double memFraction = DefaultMemFraction, int blockSize = 16,
        int maxBatchedTokens = 8192, int maxNumSeqs = 256)
    {
        if (!(memFraction > 0 && memFraction <= 1)) throw new ArgumentException($"kv memory fraction must be in (0, 1] (got {memFraction})");
        var blockBytes = model.KvBytesPerToken * blockSize;
        var reserve = model.ActivationReserveBytes(maxBatchedTokens, maxNumSeqs);
        var free = hw.MemoryBytes - model.WeightBytes - reserve;
        var device = (int)Math.Floor(Math.Max(0, free) * memFraction / blockBytes);
        if (device < 1)
            throw new ArgumentException($"model '{model.Name}' ({model.WeightBytes / 1e9:0.0} GB of weights) leaves no KV memory on '{hw.Name}' ({hw.MemoryBytes / 1e9:0.0} GB)");
        var host = (int)Math.Min(int.MaxValue / 2, Math.Floor(hw.HostKvBytes / blockBytes));
        return new KvSizing(device, host, blockSize, blockBytes, model.WeightBytes, reserve);
    }
}
