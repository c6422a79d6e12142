namespace TokenFlow.Inference.Bench;

/// <summary>One batch size's figures: prefill (B·P prompt tokens) and decode (B streams, aggregate) throughput.</summary>
public sealed record BenchResult(int Batch, int PromptTokens, int GenTokens, double PrefillSeconds, double DecodeSeconds, double PrefillCpuSeconds, double DecodeCpuSeconds)
{
    public double PrefillTokensPerSecond => Batch * PromptTokens / PrefillSeconds;
    public double DecodeTokensPerSecond => Batch * (GenTokens - 1) / DecodeSeconds;
    /// <summary>Decode tokens per CPU-second of this process: a load-independent efficiency figure on a shared machine.</summary>
    public double DecodeTokensPerCpuSecond => Batch * (GenTokens - 1) / DecodeCpuSeconds;
}
