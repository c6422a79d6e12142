namespace TokenFlow.Inference;

/// <summary>Shape and constants of a Llama-architecture model.</summary>
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
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Checks the shape is consistent; throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public void Validate(string source)
    {
        string? bad =
            Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || ContextLength <= 0 ? "non-positive dimension" :
            Dim > 65536 || HiddenDim > 1 << 18 || Layers > 1024 || VocabSize > 1 << 22 ? "implausibly large dimension" :
            Heads * HeadDim != Dim ? $"heads ({Heads}) × head_dim ({HeadDim}) != dim ({Dim})" :
            Heads % KvHeads != 0 ? $"heads ({Heads}) not a multiple of kv_heads ({KvHeads})" :
            HeadDim % 2 != 0 ? $"odd head_dim {HeadDim}" :
            null;
        if (bad is not null) throw new InvalidDataException($"{source}: bad model shape: {bad} ({this})");
    }
}
