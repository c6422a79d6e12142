using TokenFlow.Inference.Model;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// GGUF <c>llama</c>, <c>qwen2</c> and <c>phi3</c> files: shape from <c>{arch}.*</c> keys, weights by
/// llama.cpp's tensor names (fused phi3 tensors become row views), and the SentencePiece tokenizer
/// from <c>tokenizer.ggml.*</c>. Q and K are used as stored: llama rotates adjacent pairs (as run.c),
/// qwen2 and phi3 NEOX-style halves.
/// </summary>
internal static unsafe class GgufModelLoader
{
    public static (ModelConfig Config, LlamaWeights Weights, ITextTokenizer Tokenizer, string Name, string? ChatTemplate) Load(GgufFile g)
    {
        var (config, weights) = LoadWeights(g);
        var tokenizer = LoadTokenizer(g, config.VocabSize);
        var name = g.Get<string>("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(g.Path);
        return (config, weights, tokenizer, name, g.Get<string>("tokenizer.chat_template"));
    }

    /// <summary>Shape and weights of a <c>llama</c>, <c>qwen2</c> or <c>phi3</c> file; every tensor must be used.</summary>
    public static (ModelConfig Config, LlamaWeights Weights) LoadWeights(GgufFile g)
    {
        var path = g.Path;
        var arch = GgufArchitecture.Check(g);
        string K(string key) => $"{arch}.{key}";
        var emb = g.TensorsByName.GetValueOrDefault("token_embd.weight") ?? throw new InvalidDataException($"{path}: missing tensor 'token_embd.weight'");
        var dim = (int)g.RequireInt(K("embedding_length"));
        var heads = (int)g.RequireInt(K("attention.head_count"));
        var kvHeads = g.TryGetNumber(K("attention.head_count_kv"), out var kvh) ? (int)kvh : heads;
        var headDim = g.TryGetNumber(K("attention.key_length"), out var kl) ? (int)kl : heads > 0 ? dim / heads : 0;
        if (g.TryGetNumber(K("attention.value_length"), out var vl) && (int)vl != headDim)
            throw new NotSupportedException($"{path}: {K("attention.value_length")} {vl} differs from key_length {headDim}; only equal K and V head sizes are supported");
        if (g.TryGetNumber(K("rope.dimension_count"), out var rd) && (int)rd != headDim)
            throw new NotSupportedException($"{path}: partial rotary embedding ({K("rope.dimension_count")} {rd}, head_dim {headDim}) is not supported");
        var scaling = g.Metadata.TryGetValue(K("rope.scaling.type"), out var st) ? st as string ?? "?" : "none";
        var freqScale = 1f;
        if (scaling == "linear")
            freqScale = g.TryGetNumber(K("rope.scaling.factor"), out var factor) && factor > 0 ? (float)(1 / factor) : 1f;
        else if (scaling != "none")
            throw new NotSupportedException($"{path}: {K("rope.scaling.type")} '{scaling}' is not supported (supported: none, linear, and llama3-style rope_freqs.weight)");
        var used = new HashSet<string>();
        float[]? freqFactors = null;
        if (g.TensorsByName.ContainsKey("rope_freqs.weight")) freqFactors = Vec("rope_freqs.weight");
        foreach (var t in g.Tensors)
            if (t.Name.StartsWith("rope_factors_", StringComparison.Ordinal))
                throw new NotSupportedException($"{path}: tensor '{t.Name}' (long/short RoPE factors, 128k-context phi3) is not supported");
        var config = new ModelConfig(
            dim,
            (int)g.RequireInt(K("feed_forward_length")),
            (int)g.RequireInt(K("block_count")),
            heads,
            kvHeads,
            headDim,
            emb.Dims.Length == 2 ? (int)emb.Dims[1] : 0,
            g.TryGetNumber(K("context_length"), out var ctx) ? (int)ctx : 2048,
            g.TryGetNumber(K("rope.freq_base"), out var theta) ? (float)theta : 10000f,
            g.TryGetNumber(K("attention.layer_norm_rms_epsilon"), out var eps) ? (float)eps : 1e-5f)
        {
            Architecture = arch,
            // llama rotates adjacent pairs; qwen2 and phi3 are NEOX-style (llama.cpp's LLAMA_ROPE_TYPE_NEOX).
            Rope = new RopeSettings(Neox: arch != "llama", GgmlAngles: true, FreqScale: freqScale, FreqFactors: freqFactors),
            SlidingWindow = g.TryGetNumber(K("attention.sliding_window"), out var sw) && sw > 0 ? (int)sw : null,
        };
        if (g.TryGetNumber(K("vocab_size"), out var vs) && (int)vs != config.VocabSize)
            throw new InvalidDataException($"{path}: {K("vocab_size")} {vs} but token_embd has {config.VocabSize} rows");
        config.Validate(path);

        WeightMatrix Mat(string name)
        {
            var t = g.TensorsByName.GetValueOrDefault(name) ?? throw new InvalidDataException($"{path}: missing tensor '{name}'");
            if (!GgmlTypeInfo.IsSupported(t.Type))
                throw new NotSupportedException($"{path}: tensor '{name}' has unsupported type {GgmlTypeInfo.Name(t.Type)} (supported: {GgmlTypeInfo.SupportedList})");
            var rows = t.Dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (t.Dims.Length > 2 || rows > int.MaxValue) throw new InvalidDataException($"{path}: tensor '{name}' has shape {t.Shape}, expected a matrix");
            used.Add(name);
            return new WeightMatrix(name, t.Type, g.TensorData(t), (int)rows, (int)t.Dims[0]);
        }
        float[] Vec(string name)
        {
            var m = Mat(name);
            if (m.Rows != 1) throw new InvalidDataException($"{path}: tensor '{name}' is {m.Rows}×{m.Cols}, expected a vector");
            return m.ToArray();
        }
        float[]? OptVec(string name) => g.TensorsByName.ContainsKey(name) ? Vec(name) : null;

        var embW = Mat("token_embd.weight");
        var layers = new LayerWeights[config.Layers];
        for (var i = 0; i < config.Layers; i++)
        {
            var p = $"blk.{i}.";
            WeightMatrix wq, wk, wv, gate, up;
            if (g.TensorsByName.ContainsKey(p + "attn_qkv.weight"))
            {
                // phi3: one fused matrix, rows [Q | K | V].
                var qkv = Mat(p + "attn_qkv.weight");
                if (qkv.Rows != config.QDim + 2 * config.KvDim)
                    throw new InvalidDataException($"{path}: tensor '{qkv.Name}' has {qkv.Rows} rows, expected {config.QDim + 2 * config.KvDim} (Q, K, V)");
                wq = qkv.Slice(p + "attn_qkv.weight[q]", 0, config.QDim);
                wk = qkv.Slice(p + "attn_qkv.weight[k]", config.QDim, config.KvDim);
                wv = qkv.Slice(p + "attn_qkv.weight[v]", config.QDim + config.KvDim, config.KvDim);
            }
            else (wq, wk, wv) = (Mat(p + "attn_q.weight"), Mat(p + "attn_k.weight"), Mat(p + "attn_v.weight"));
            if (g.TensorsByName.ContainsKey(p + "ffn_gate.weight")) (gate, up) = (Mat(p + "ffn_gate.weight"), Mat(p + "ffn_up.weight"));
            else
            {
                // phi3: ffn_up holds the gate (SiLU side) in its first half and up in its second.
                var fused = Mat(p + "ffn_up.weight");
                if (fused.Rows != 2 * config.HiddenDim)
                    throw new InvalidDataException($"{path}: tensor '{fused.Name}' has {fused.Rows} rows, expected {2 * config.HiddenDim} (gate and up fused, no ffn_gate)");
                gate = fused.Slice(p + "ffn_up.weight[gate]", 0, config.HiddenDim);
                up = fused.Slice(p + "ffn_up.weight[up]", config.HiddenDim, config.HiddenDim);
            }
            layers[i] = new LayerWeights(Vec(p + "attn_norm.weight"), wq, wk, wv, Mat(p + "attn_output.weight"), Vec(p + "ffn_norm.weight"), gate, Mat(p + "ffn_down.weight"), up)
            {
                Bq = OptVec(p + "attn_q.bias"), Bk = OptVec(p + "attn_k.bias"), Bv = OptVec(p + "attn_v.bias"),
            };
        }
        var cls = g.TensorsByName.ContainsKey("output.weight") ? Mat("output.weight") : embW;
        var weights = new LlamaWeights(embW, layers, Vec("output_norm.weight"), cls);
        weights.Validate(config, path);
        var unused = g.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        if (unused.Count > 0)
            throw new NotSupportedException($"{path}: tensor{(unused.Count > 1 ? "s" : "")} {string.Join(", ", unused.Take(5).Select(n => $"'{n}'"))}{(unused.Count > 5 ? $" and {unused.Count - 5} more" : "")} not used by the {arch} forward pass (unsupported feature)");
        return (config, weights);
    }

    public static ITextTokenizer LoadTokenizer(GgufFile g, int vocab) => GgufTokenizerLoader.Load(g, vocab);
}
