using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// llama2.c legacy (version-0) checkpoints: a 7×int32 header, then fp32 arrays in run.c's order.
/// A negative vocab_size means an untied classifier follows the (skipped) freq_cis tables.
/// </summary>
internal static unsafe class Llama2cLoader
{
    private const int HeaderBytes = 28;

    public static (ModelConfig Config, LlamaWeights Weights) Load(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < HeaderBytes) throw new InvalidDataException($"{path}: truncated llama2.c checkpoint ({file.Length} bytes, header needs {HeaderBytes})");
        var h = (int*)file.Base;
        if ((uint)h[0] == 0x616b3432) throw new NotSupportedException($"{path}: llama2.c version-1/2 export (magic 'ak42') is not supported; export with --version 0 (legacy)");
        var vocab = h[5];
        var tied = vocab > 0;
        var headDim = h[3] > 0 ? h[0] / h[3] : 0;
        var config = new ModelConfig(h[0], h[1], h[2], h[3], h[4], headDim, Math.Abs(vocab), h[6]);
        config.Validate(path);
        if (h[3] * headDim != h[0]) throw new InvalidDataException($"{path}: dim {h[0]} not divisible by n_heads {h[3]}");

        long offset = HeaderBytes;
        long dim = config.Dim, kv = config.KvDim, hid = config.HiddenDim, L = config.Layers;
        var expected = HeaderBytes + 4 * (config.VocabSize * dim + L * dim * 2 + L * dim * dim * 2 + L * kv * dim * 2 + L * hid * dim * 3 + dim
            + (long)config.ContextLength * headDim + (tied ? 0 : config.VocabSize * dim));
        if (file.Length < expected)
            throw new InvalidDataException($"{path}: truncated llama2.c checkpoint: {file.Length} bytes, the header ({config}) needs {expected}");

        WeightMatrix Mat(string name, long rows, long cols)
        {
            var w = new WeightMatrix(name, GgmlType.F32, file.Base + offset, (int)rows, (int)cols);
            offset += rows * cols * 4;
            return w;
        }
        WeightMatrix[] Stack(string name, long rows, long cols) => Enumerable.Range(0, (int)L).Select(i => Mat($"{name}[{i}]", rows, cols)).ToArray();

        var emb = Mat("token_embedding", config.VocabSize, dim);
        var rmsAtt = Stack("rms_att", 1, dim);
        var wq = Stack("wq", dim, dim);
        var wk = Stack("wk", kv, dim);
        var wv = Stack("wv", kv, dim);
        var wo = Stack("wo", dim, dim);
        var rmsFfn = Stack("rms_ffn", 1, dim);
        var w1 = Stack("w1", hid, dim);
        var w2 = Stack("w2", dim, hid);
        var w3 = Stack("w3", hid, dim);
        var rmsFinal = Mat("rms_final", 1, dim);
        offset += (long)config.ContextLength * headDim * 4; // freq_cis_real and freq_cis_imag: unused
        var cls = tied ? emb : Mat("wcls", config.VocabSize, dim);

        var layers = new LayerWeights[L];
        for (var i = 0; i < L; i++)
            layers[i] = new LayerWeights(rmsAtt[i].ToArray(), wq[i], wk[i], wv[i], wo[i], rmsFfn[i].ToArray(), w1[i], w2[i], w3[i]);
        var weights = new LlamaWeights(emb, layers, rmsFinal.ToArray(), cls);
        weights.Validate(config, path);
        return (config, weights);
    }
}
