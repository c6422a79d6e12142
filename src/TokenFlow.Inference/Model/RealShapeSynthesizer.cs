using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Quantization;

namespace TokenFlow.Inference.Model;

/// <summary>A real model's architecture and shape for <c>model synth</c> (weights random, vocabulary real).</summary>
public sealed record RealShape(string Name, string Architecture, ModelConfig Config, bool Biases, double Llama3RopeFactor, string Vocabulary);

/// <summary>
/// Writes <c>llama3.2-1b</c> / <c>qwen2.5-0.5b</c>-shaped GGUFs with seeded random weights in f16,
/// q8_0, q4_0 or q4_k_m (this repository's own quantizer, with llama-quantize's choice of type per
/// tensor: Q6_K for the tied embedding and for attn_v/ffn_down in the layers where Q4_K_M spends
/// more bits, and its fallbacks Q4_K → Q5_0, Q6_K → Q8_0 where a row is not a multiple of 256),
/// copying every <c>tokenizer.*</c> key of a real vocabulary GGUF. Benchmark inputs only.
/// </summary>
public static class RealShapeSynthesizer
{
    public static IReadOnlyDictionary<string, RealShape> Shapes { get; } = new Dictionary<string, RealShape>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama3.2-1b"] = new("llama3.2-1b", "llama", new ModelConfig(2048, 8192, 16, 32, 8, 64, 128256, 131072, 500000f, 1e-5f), false, 32, "ggml-vocab-llama-bpe.gguf"),
        ["qwen2.5-0.5b"] = new("qwen2.5-0.5b", "qwen2", new ModelConfig(896, 4864, 24, 14, 2, 64, 151936, 32768, 1000000f, 1e-6f), true, 0, "ggml-vocab-qwen2.gguf"),
    };

    public static IReadOnlyList<string> Types { get; } = ["f16", "q8_0", "q4_0", "q4_k_m"];

    public static void Write(string path, RealShape shape, string type, string vocabularyPath, int seed, Action<string>? progress = null)
    {
        if (!Types.Contains(type)) throw new ArgumentException($"--type for {shape.Name} must be one of {string.Join(", ", Types)}, not '{type}'");
        var c = shape.Config;
        var a = shape.Architecture;
        using var vocab = GgufFile.Open(vocabularyPath);
        var tokens = vocab.Get<string[]>("tokenizer.ggml.tokens") ?? throw new InvalidDataException($"{vocabularyPath}: no tokenizer.ggml.tokens");
        if (tokens.Length != c.VocabSize) throw new InvalidDataException($"{vocabularyPath}: {tokens.Length} tokens, the {shape.Name} shape needs {c.VocabSize}");

        var w = new GgufWriter();
        w.Add("general.architecture", a);
        w.Add("general.name", $"synthetic-{shape.Name}-{type}");
        w.Add("general.file_type", type switch { "f16" => 1u, "q8_0" => 7u, "q4_0" => 2u, _ => 15u });
        w.Add("general.alignment", (uint)GgufWriter.Alignment);
        w.Add($"{a}.context_length", (uint)c.ContextLength);
        w.Add($"{a}.embedding_length", (uint)c.Dim);
        w.Add($"{a}.feed_forward_length", (uint)c.HiddenDim);
        w.Add($"{a}.block_count", (uint)c.Layers);
        w.Add($"{a}.attention.head_count", (uint)c.Heads);
        w.Add($"{a}.attention.head_count_kv", (uint)c.KvHeads);
        w.Add($"{a}.rope.dimension_count", (uint)c.HeadDim);
        w.Add($"{a}.rope.freq_base", c.RopeTheta);
        w.Add($"{a}.attention.layer_norm_rms_epsilon", c.NormEps);
        foreach (var (key, value) in vocab.Metadata)
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) w.AddValue(key, value);

        var rng = new Random(seed);
        GgmlType Pick(GgmlType k, int cols) => cols % GgmlTypeInfo.QK_K == 0 ? k : k == GgmlType.Q6_K ? GgmlType.Q8_0 : GgmlType.Q5_0;
        GgmlType TypeOf(string role, int layer, int cols) => type switch
        {
            "f16" => GgmlType.F16,
            "q8_0" => GgmlType.Q8_0,
            "q4_0" => role == "token_embd" ? Pick(GgmlType.Q6_K, cols) : GgmlType.Q4_0,
            _ => role == "token_embd" || (role is "attn_v" or "ffn_down" && MoreBits(layer, c.Layers)) ? Pick(GgmlType.Q6_K, cols) : Pick(GgmlType.Q4_K, cols),
        };
        void Matrix(string name, string role, int layer, int rows, int cols)
        {
            var t = TypeOf(role, layer, cols);
            w.AddTensor(name, [cols, rows], t, s => WriteRandom(s, rng, rows, cols, t));
        }
        void Vector(string name, int n, float center, float spread) =>
            w.AddTensor(name, [n], GgmlType.F32, s => { for (var i = 0; i < n; i++) s.Write(BitConverter.GetBytes(center + (rng.NextSingle() * 2 - 1) * spread)); });

        Matrix("token_embd.weight", "token_embd", 0, c.VocabSize, c.Dim);
        for (var l = 0; l < c.Layers; l++)
        {
            var p = $"blk.{l}.";
            Vector(p + "attn_norm.weight", c.Dim, 1, 0);
            Matrix(p + "attn_q.weight", "attn_q", l, c.QDim, c.Dim);
            Matrix(p + "attn_k.weight", "attn_k", l, c.KvDim, c.Dim);
            Matrix(p + "attn_v.weight", "attn_v", l, c.KvDim, c.Dim);
            if (shape.Biases)
            {
                Vector(p + "attn_q.bias", c.QDim, 0, 0.02f);
                Vector(p + "attn_k.bias", c.KvDim, 0, 0.02f);
                Vector(p + "attn_v.bias", c.KvDim, 0, 0.02f);
            }
            Matrix(p + "attn_output.weight", "attn_output", l, c.Dim, c.QDim);
            Vector(p + "ffn_norm.weight", c.Dim, 1, 0);
            Matrix(p + "ffn_gate.weight", "ffn_gate", l, c.HiddenDim, c.Dim);
            Matrix(p + "ffn_up.weight", "ffn_up", l, c.HiddenDim, c.Dim);
            Matrix(p + "ffn_down.weight", "ffn_down", l, c.Dim, c.HiddenDim);
        }
        Vector("output_norm.weight", c.Dim, 1, 0);
        if (shape.Llama3RopeFactor > 0)
        {
            var f = Llama3RopeFreqs(c.HeadDim, c.RopeTheta, shape.Llama3RopeFactor, 1, 4, 8192);
            w.AddTensor("rope_freqs.weight", [f.Length], GgmlType.F32, s => { foreach (var v in f) s.Write(BitConverter.GetBytes(v)); });
        }

        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            w.WriteTo(fs);
        File.Move(tmp, path, overwrite: true);
        progress?.Invoke(path);
    }

    /// <summary>llama-quantize's use_more_bits: the first and last eighth of the layers, and every third in between.</summary>
    private static bool MoreBits(int layer, int layers) => layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>The per-frequency divisors convert_hf_to_gguf.py writes for rope_type llama3.</summary>
    public static float[] Llama3RopeFreqs(int headDim, float theta, double factor, double lowFreqFactor, double highFreqFactor, double oldContext)
    {
        var lowWavelen = oldContext / lowFreqFactor;
        var highWavelen = oldContext / highFreqFactor;
        var r = new float[headDim / 2];
        for (var i = 0; i < r.Length; i++)
        {
            var freq = 1 / Math.Pow(theta, 2.0 * i / headDim);
            var wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) r[i] = 1;
            else if (wavelen > lowWavelen) r[i] = (float)factor;
            else
            {
                var smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                r[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
        return r;
    }

    private static void WriteRandom(Stream s, Random rng, int rows, int cols, GgmlType type)
    {
        var a = 1f / MathF.Sqrt(cols);
        var row = new float[cols];
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, cols)];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < cols; i++) row[i] = (rng.NextSingle() * 2 - 1) * a;
            Quantizer.Row(type, row, bytes);
            s.Write(bytes);
        }
    }
}
