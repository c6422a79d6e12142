using TokenFlow.Inference.Model;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// The GGUF <c>llama</c> architecture: shape from <c>llama.*</c> keys, weights by llama.cpp's tensor
/// names, and the SentencePiece tokenizer from <c>tokenizer.ggml.*</c>. Q and K are used as stored:
/// for <c>llama</c> llama.cpp rotates adjacent pairs, as run.c does.
/// </summary>
internal static unsafe class GgufModelLoader
{
    public static (ModelConfig Config, LlamaWeights Weights, ITextTokenizer Tokenizer, string Name, string? ChatTemplate) Load(GgufFile g)
    {
        var path = g.Path;
        var arch = g.Get<string>("general.architecture") ?? throw new InvalidDataException($"{path}: missing metadata 'general.architecture'");
        if (arch != "llama") throw new NotSupportedException($"{path}: unknown architecture '{arch}' (only 'llama' is supported)");

        var emb = g.TensorsByName.GetValueOrDefault("token_embd.weight") ?? throw new InvalidDataException($"{path}: missing tensor 'token_embd.weight'");
        var dim = (int)g.RequireInt("llama.embedding_length");
        var heads = (int)g.RequireInt("llama.attention.head_count");
        var kvHeads = g.TryGetNumber("llama.attention.head_count_kv", out var kvh) ? (int)kvh : heads;
        var headDim = heads > 0 ? dim / heads : 0;
        if (g.TryGetNumber("llama.attention.key_length", out var kl) && (int)kl != headDim)
            throw new NotSupportedException($"{path}: attention.key_length {kl} != embedding_length/head_count {headDim}");
        if (g.TryGetNumber("llama.rope.dimension_count", out var rd) && (int)rd != headDim)
            throw new NotSupportedException($"{path}: partial rotary embedding (rope.dimension_count {rd}, head_dim {headDim}) is not supported");
        var config = new ModelConfig(
            dim,
            (int)g.RequireInt("llama.feed_forward_length"),
            (int)g.RequireInt("llama.block_count"),
            heads,
            kvHeads,
            headDim,
            emb.Dims.Length == 2 ? (int)emb.Dims[1] : 0,
            g.TryGetNumber("llama.context_length", out var ctx) ? (int)ctx : 2048,
            g.TryGetNumber("llama.rope.freq_base", out var theta) ? (float)theta : 10000f,
            g.TryGetNumber("llama.attention.layer_norm_rms_epsilon", out var eps) ? (float)eps : 1e-5f);
        config.Validate(path);

        WeightMatrix Mat(string name)
        {
            var t = g.TensorsByName.GetValueOrDefault(name) ?? throw new InvalidDataException($"{path}: missing tensor '{name}'");
            if (!GgmlTypeInfo.IsSupported(t.Type))
                throw new NotSupportedException($"{path}: tensor '{name}' has unsupported type {GgmlTypeInfo.Name(t.Type)} (supported: F32, F16, BF16, Q8_0)");
            var rows = t.Dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (t.Dims.Length > 2 || rows > int.MaxValue) throw new InvalidDataException($"{path}: tensor '{name}' has shape {t.Shape}, expected a matrix");
            return new WeightMatrix(name, t.Type, g.TensorData(t), (int)rows, (int)t.Dims[0]);
        }
        float[] Vec(string name)
        {
            var m = Mat(name);
            if (m.Rows != 1) throw new InvalidDataException($"{path}: tensor '{name}' is {m.Rows}×{m.Cols}, expected a vector");
            return m.ToArray();
        }

        var embW = Mat("token_embd.weight");
        var layers = new LayerWeights[config.Layers];
        for (var i = 0; i < config.Layers; i++)
        {
            var p = $"blk.{i}.";
            layers[i] = new LayerWeights(Vec(p + "attn_norm.weight"), Mat(p + "attn_q.weight"), Mat(p + "attn_k.weight"), Mat(p + "attn_v.weight"),
                Mat(p + "attn_output.weight"), Vec(p + "ffn_norm.weight"), Mat(p + "ffn_gate.weight"), Mat(p + "ffn_down.weight"), Mat(p + "ffn_up.weight"));
        }
        var cls = g.TensorsByName.ContainsKey("output.weight") ? Mat("output.weight") : embW;
        var weights = new LlamaWeights(embW, layers, Vec("output_norm.weight"), cls);
        weights.Validate(config, path);

        var tokenizer = LoadTokenizer(g, config.VocabSize);
        var name = g.Get<string>("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(path);
        return (config, weights, tokenizer, name, g.Get<string>("tokenizer.chat_template"));
    }

    public static ITextTokenizer LoadTokenizer(GgufFile g, int vocab) => GgufTokenizerLoader.Load(g, vocab);
}
