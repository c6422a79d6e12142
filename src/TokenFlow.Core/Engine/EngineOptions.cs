using TokenFlow.Core.Kv;

namespace TokenFlow.Core.Engine;

/// <summary>Batching limits shared by every policy (vLLM's names) and the KV cache's shape.</summary>
public sealed record EngineOptions
{
    /// <summary>Most sequences in one iteration.</summary>
    public int MaxNumSeqs { get; init; } = 256;
    /// <summary>Token budget of one iteration (decode tokens plus prefill chunks).</summary>
    public int MaxBatchedTokens { get; init; } = 8192;
    /// <summary>Split long prompts into chunks that share iterations with decodes (vLLM V1); otherwise prefill-first, whole prompts.</summary>
    public bool ChunkedPrefill { get; init; }
    /// <summary>Device blocks kept free for decode growth when admitting (vLLM's watermark), as a fraction.</summary>
    public double AdmissionWatermark { get; init; } = 0.01;
    public KvCacheOptions Kv { get; init; } = new();
}
