namespace TokenFlow.Inference.Model;

/// <summary>One transformer block's weights.</summary>
public sealed record LayerWeights(
    float[] AttnNorm,
    WeightMatrix Wq,
    WeightMatrix Wk,
    WeightMatrix Wv,
    WeightMatrix Wo,
    float[] FfnNorm,
    WeightMatrix W1,
    WeightMatrix W2,
    WeightMatrix W3)
{
    /// <summary>Q/K/V projection biases (qwen2), or null.</summary>
    public float[]? Bq { get; init; }
    public float[]? Bk { get; init; }
    public float[]? Bv { get; init; }

    /// <summary>The block's matrices in the order the forward pass reads them.</summary>
    public IEnumerable<WeightMatrix> Matrices() => [Wq, Wk, Wv, Wo, W1, W3, W2];
}

/// <summary>All weights of a Llama-family model; matrices point into the mapped file (or a native buffer).</summary>
public sealed record LlamaWeights(WeightMatrix TokenEmbedding, LayerWeights[] Layers, float[] FinalNorm, WeightMatrix Classifier)
{
    public bool TiedClassifier => ReferenceEquals(TokenEmbedding, Classifier);

    public IEnumerable<WeightMatrix> Matrices()
    {
        yield return TokenEmbedding;
        foreach (var l in Layers)
            foreach (var m in l.Matrices()) yield return m;
        if (!TiedClassifier) yield return Classifier;
    }

    /// <summary>Checks every matrix against the config; throws naming <paramref name="source"/>.</summary>
    public void Validate(ModelConfig c, string source)
    {
        void Check(WeightMatrix w, int rows, int cols)
        {
            if (w.Rows != rows || w.Cols != cols)
                throw new InvalidDataException($"{source}: tensor {w.Name} is {w.Rows}×{w.Cols}, expected {rows}×{cols}");
        }
        void CheckVec(float[] v, int n, string name)
        {
            if (v.Length != n) throw new InvalidDataException($"{source}: tensor {name} has {v.Length} elements, expected {n}");
        }
        Check(TokenEmbedding, c.VocabSize, c.Dim);
        Check(Classifier, c.VocabSize, c.Dim);
        CheckVec(FinalNorm, c.Dim, "output_norm");
        if (Layers.Length != c.Layers) throw new InvalidDataException($"{source}: {Layers.Length} layers, expected {c.Layers}");
        for (var i = 0; i < Layers.Length; i++)
        {
            var l = Layers[i];
            CheckVec(l.AttnNorm, c.Dim, $"blk.{i}.attn_norm");
            CheckVec(l.FfnNorm, c.Dim, $"blk.{i}.ffn_norm");
            Check(l.Wq, c.QDim, c.Dim);
            Check(l.Wk, c.KvDim, c.Dim);
            Check(l.Wv, c.KvDim, c.Dim);
            Check(l.Wo, c.Dim, c.QDim);
            if (l.Bq is not null) CheckVec(l.Bq, c.QDim, $"blk.{i}.attn_q.bias");
            if (l.Bk is not null) CheckVec(l.Bk, c.KvDim, $"blk.{i}.attn_k.bias");
            if (l.Bv is not null) CheckVec(l.Bv, c.KvDim, $"blk.{i}.attn_v.bias");
            Check(l.W1, c.HiddenDim, c.Dim);
            Check(l.W2, c.Dim, c.HiddenDim);
            Check(l.W3, c.HiddenDim, c.Dim);
        }
    }
}
