namespace TokenFlow.Simulation;

/// <summary>
/// A decoder-only transformer of the Llama family, from its config: layers, hidden size, query and
/// KV heads, head dimension, FFN (SwiGLU, three matrices) and vocabulary. Weights and KV in bf16.
/// </summary>
public sealed record ModelProfile(string Name, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, int Ffn, int Vocab,
    bool TiedEmbeddings = false, int BytesPerParam = 2)
{
    /// <summary>Parameters of one layer's linear maps: Q, K, V, O projections and the three FFN matrices.</summary>
    public long LayerLinearParams =>
        (long)Hidden * Heads * HeadDim + 2L * Hidden * KvHeads * HeadDim + (long)Heads * HeadDim * Hidden + 3L * Hidden * Ffn;

    /// <summary>Norm weights of one layer (two RMSNorms).</summary>
    public long LayerNormParams => 2L * Hidden;

    public long EmbeddingParams => (long)Vocab * Hidden;
    public long LmHeadParams => TiedEmbeddings ? 0 : (long)Vocab * Hidden;

    public long Params => Layers * (LayerLinearParams + LayerNormParams) + EmbeddingParams + LmHeadParams + Hidden;

    public double WeightBytes => (double)Params * BytesPerParam;

    /// <summary>Bytes read from weights by one forward pass: every layer and the LM head (the embedding is a row lookup).</summary>
    public double WeightBytesReadPerIteration => (double)(Layers * (LayerLinearParams + LayerNormParams) + (long)Vocab * Hidden) * BytesPerParam;

    /// <summary>K and V of every layer for one token.</summary>
    public long KvBytesPerToken => 2L * Layers * KvHeads * HeadDim * BytesPerParam;

    /// <summary>
    /// GPU memory kept back for activations at a token budget: the largest intermediate tensors of a
    /// forward pass (FFN gate and up outputs, QKV), logits for the sampled rows in fp32, and ~1 GiB of
    /// CUDA context, cuBLAS workspace and CUDA graphs (vLLM's profiling run reports a similar total).
    /// </summary>
    public double ActivationReserveBytes(int maxBatchedTokens, int maxNumSeqs) =>
        maxBatchedTokens * (3.0 * Ffn + 2.0 * (Heads + 2 * KvHeads) * HeadDim + 4.0 * Hidden) * BytesPerParam
        + (double)maxNumSeqs * Vocab * 4
        + 1024.0 * 1024 * 1024;
}
