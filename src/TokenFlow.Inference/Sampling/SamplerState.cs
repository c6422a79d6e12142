namespace TokenFlow.Inference.Sampling;

/// <summary>Per-request RNG state (kept in Request.SamplerState), so a request draws the same numbers however it is batched or preempted.</summary>
public sealed class SamplerState
{
    public SamplerState(ulong seed) => Rng = seed;

    /// <summary>run.c's xorshift64* state.</summary>
    public ulong Rng;

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
