using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Model;

/// <summary>Seeded random fp32 weights in one native buffer: uniform ±1/√cols matrices and unit norms.</summary>
internal static unsafe class SyntheticWeights
{
    public static (LlamaWeights Weights, NativeBuffer Buffer) Create(ModelConfig c, int seed)
    {
        long dim = c.Dim, kv = c.KvDim, hid = c.HiddenDim;
        var floats = c.VocabSize * dim + c.Layers * (dim * dim * 2 + kv * dim * 2 + hid * dim * 3);
        var buffer = new NativeBuffer(floats * 4);
        var rng = new Random(seed);
        long offset = 0;
        WeightMatrix Mat(string name, long rows, long cols)
        {
            var p = (float*)buffer.Pointer + offset;
            var a = 1f / MathF.Sqrt(cols);
            for (long i = 0; i < rows * cols; i++) p[i] = (rng.NextSingle() * 2 - 1) * a;
            offset += rows * cols;
            return new WeightMatrix(name, GgmlType.F32, (byte*)p, (int)rows, (int)cols);
        }
        float[] Ones(long n) => Enumerable.Repeat(1f, (int)n).ToArray();
        var emb = Mat("token_embd", c.VocabSize, dim);
        var layers = new LayerWeights[c.Layers];
        for (var l = 0; l < c.Layers; l++)
            layers[l] = new LayerWeights(Ones(dim), Mat($"blk.{l}.attn_q", dim, dim), Mat($"blk.{l}.attn_k", kv, dim), Mat($"blk.{l}.attn_v", kv, dim),
                Mat($"blk.{l}.attn_output", dim, dim), Ones(dim), Mat($"blk.{l}.ffn_gate", hid, dim), Mat($"blk.{l}.ffn_down", dim, hid), Mat($"blk.{l}.ffn_up", hid, dim));
        var w = new LlamaWeights(emb, layers, Ones(dim), emb);
        w.Validate(c, "synthetic");
        return (w, buffer);
    }
}
