namespace TokenFlow.Core.Requests;

/// <summary>How the next token is drawn. Temperature 0 is greedy.</summary>
public sealed record SamplingParams
{
    public float Temperature { get; init; }
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    public ulong? Seed { get; init; }
    /// <summary>Reproduce llama2.c run.c's sampler exactly (xorshift RNG, its top-p cut-off).</summary>
    public bool RunCCompatible { get; init; }

    public static SamplingParams Greedy { get; } = new();
}
