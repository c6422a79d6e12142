namespace TokenFlow.Inference;

/// <summary>Shape and constants of a Llama-family model (llama, qwen2, phi3 share one forward pass).</summary>
public sealed record ModelConfig(
    int Dim,
    int HiddenDim,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    int VocabSize,
    int ContextLength,
    float RopeTheta = 10000f,
    float NormEps = 1e-5f)
{
    /// <summary>GGUF <c>general.architecture</c> (llama2.c checkpoints and synthetic models are "llama").</summary>
    public string Architecture { get; init; } = "llama";

    /// <summary>How Q and K are rotated.</summary>
    public RopeSettings Rope { get; init; } = RopeSettings.RunC;

    /// <summary>Sliding attention window from the file (phi3), or null: positions are capped at it, so every key a query sees lies inside its window.</summary>
    public int? SlidingWindow { get; init; }

    public int KvDim => KvHeads * HeadDim;

    /// <summary>Positions a sequence may use: the context (at least 2048: llama2.c conversions understate it), capped at the sliding window.</summary>
    public int MaxPositions => SlidingWindow is { } w ? Math.Min(w, Math.Max(ContextLength, 2048)) : Math.Max(ContextLength, 2048);

    /// <summary>Width of the attention output (heads × head_dim); differs from <see cref="Dim"/> when head_dim comes from metadata.</summary>
    public int QDim => Heads * HeadDim;

    /// <summary>Checks the shape is consistent; throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public void Validate(string source)
    {
        string? bad =
            Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || HeadDim <= 0 || VocabSize <= 0 || ContextLength <= 0 ? "non-positive dimension" :
            Dim > 65536 || HiddenDim > 1 << 18 || Layers > 1024 || VocabSize > 1 << 22 || HeadDim > 1024 ? "implausibly large dimension" :
            Heads % KvHeads != 0 ? $"heads ({Heads}) not a multiple of kv_heads ({KvHeads})" :
            HeadDim % 2 != 0 ? $"odd head_dim {HeadDim}" :
            Rope.FreqFactors is { } f && f.Length != HeadDim / 2 ? $"rope_freqs has {f.Length} values, expected head_dim/2 = {HeadDim / 2}" :
            null;
        if (bad is not null) throw new InvalidDataException($"{source}: bad model shape: {bad} ({this})");
    }
}

/// <summary>
/// RoPE variant. <see cref="Neox"/> rotates (i, i + head_dim/2) instead of adjacent pairs.
/// <see cref="GgmlAngles"/> computes the angles as ggml does (θ_i = pos·base^(−2i/d) by repeated
/// multiplication, divided by the per-frequency <see cref="FreqFactors"/> of <c>rope_freqs.weight</c>
/// and scaled by <see cref="FreqScale"/>); otherwise run.c's formula (llama2.c checkpoints).
/// </summary>
public sealed record RopeSettings(bool Neox = false, bool GgmlAngles = false, float FreqScale = 1f, float[]? FreqFactors = null)
{
    public static RopeSettings RunC { get; } = new();

    public override string ToString() =>
        $"{(Neox ? "neox" : "normal")}{(FreqFactors is null ? "" : ", rope_freqs divisors")}{(FreqScale != 1f ? $", linear scale {1 / FreqScale:0.###}" : "")}";
}
