using System.Collections.Concurrent;

namespace TokenFlow.Inference.Sampling;

/// <summary>
/// Per-request sampler state (kept in Request.SamplerState), so a request draws the same numbers
/// however it is batched or preempted. Also carries what the sampler needs across tokens: output
/// counts for the penalties, an optional constraint, and the logprobs queue the HTTP side reads.
/// </summary>
public sealed class SamplerState
{
    public SamplerState(ulong seed) => Rng = seed;

    /// <summary>A state for <paramref name="seed"/>, or a random one when null.</summary>
    public static SamplerState Create(ulong? seed)
    {
        var s = seed ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        return new SamplerState(s == 0 ? 0x9E3779B97F4A7C15UL : s);
    }

    /// <summary>run.c's xorshift64* state.</summary>
    public ulong Rng;

    /// <summary>Constrained decoding (e.g. JSON); null = free.</summary>
    public ITokenConstraint? Constraint { get; init; }

    /// <summary>One entry per sampled token when SamplingParams.Logprobs is set; written by the engine thread before the token is emitted.</summary>
    public ConcurrentQueue<TokenLogprobs> Logprobs { get; } = new();

    internal int[]? OutputCounts;
    internal bool[]? Seen;
    internal int Counted = -1; // output tokens folded into the counts; −1: prompt not yet

    /// <summary>run.c random_u32.</summary>
    public uint NextU32()
    {
        Rng ^= Rng >> 12;
        Rng ^= Rng << 25;
        Rng ^= Rng >> 27;
        return (uint)((Rng * 0x2545F4914F6CDD1DUL) >> 32);
    }

    /// <summary>run.c random_f32: a float in [0, 1).</summary>
    public float NextFloat() => (NextU32() >> 8) / 16777216.0f;
}
