using System.Text;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Quantization;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Model;

/// <summary>
/// Writes a standard GGUF v3 <c>llama</c> model with seeded random weights (uniform ±1/√cols,
/// unit norms) at a given shape, embedding a SentencePiece tokenizer in llama.cpp's metadata
/// layout ('▁' for spaces, token types, BOS/EOS/UNK ids). Weights are streamed row by row.
/// </summary>
public static class GgufSynthesizer
{
    public static void Write(string path, ModelConfig c, SentencePieceBpeTokenizer tokenizer, int seed, GgmlType type = GgmlType.F32, string? name = null)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0)) throw new ArgumentException($"synthetic weights are written as f32, f16 or q8_0, not {type}");
        if (tokenizer.VocabSize != c.VocabSize) throw new ArgumentException($"tokenizer has {tokenizer.VocabSize} pieces, shape needs {c.VocabSize}");
        c.Validate("shape");
        if (type == GgmlType.Q8_0 && (c.Dim % 32 != 0 || c.HiddenDim % 32 != 0)) throw new ArgumentException("q8_0 needs dim and hidden_dim divisible by 32");

        var w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.Add("general.name", name ?? $"synthetic-{seed}");
        w.Add("general.file_type", type switch { GgmlType.F32 => 0u, GgmlType.F16 => 1u, _ => 7u });
        w.Add("general.alignment", (uint)GgufWriter.Alignment);
        w.Add("llama.context_length", (uint)c.ContextLength);
        w.Add("llama.embedding_length", (uint)c.Dim);
        w.Add("llama.feed_forward_length", (uint)c.HiddenDim);
        w.Add("llama.block_count", (uint)c.Layers);
        w.Add("llama.attention.head_count", (uint)c.Heads);
        w.Add("llama.attention.head_count_kv", (uint)c.KvHeads);
        w.Add("llama.rope.dimension_count", (uint)c.HeadDim);
        w.Add("llama.rope.freq_base", c.RopeTheta);
        w.Add("llama.attention.layer_norm_rms_epsilon", c.NormEps);
        w.Add("llama.vocab_size", (uint)c.VocabSize);
        var tokens = new string[c.VocabSize];
        var scores = new float[c.VocabSize];
        var types = new int[c.VocabSize];
        for (var i = 0; i < c.VocabSize; i++)
        {
            var kind = tokenizer.Kind(i);
            tokens[i] = i == tokenizer.BosId ? "<s>" : i == tokenizer.EosId ? "</s>" : i == tokenizer.UnkId ? "<unk>"
                : Encoding.UTF8.GetString(tokenizer.Piece(i)).Replace(' ', '\u2581');
            scores[i] = tokenizer.Score(i);
            types[i] = (int)kind;
        }
        w.Add("tokenizer.ggml.model", "llama");
        w.Add("tokenizer.ggml.tokens", tokens);
        w.Add("tokenizer.ggml.scores", scores);
        w.Add("tokenizer.ggml.token_type", types);
        w.Add("tokenizer.ggml.bos_token_id", (uint)tokenizer.BosId);
        w.Add("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosId);
        w.Add("tokenizer.ggml.unknown_token_id", (uint)tokenizer.UnkId);
        w.Add("tokenizer.ggml.add_bos_token", true);
        w.Add("tokenizer.ggml.add_eos_token", false);

        var rng = new Random(seed);
        void Matrix(string tensor, int rows, int cols, GgmlType t) => w.AddTensor(tensor, [cols, rows], t, s => WriteRandom(s, rng, rows, cols, t));
        void Norm(string tensor, int n) => w.AddTensor(tensor, [n], GgmlType.F32, s => { for (var i = 0; i < n; i++) s.Write(BitConverter.GetBytes(1f)); });
        Matrix("token_embd.weight", c.VocabSize, c.Dim, type);
        for (var l = 0; l < c.Layers; l++)
        {
            var p = $"blk.{l}.";
            Norm(p + "attn_norm.weight", c.Dim);
            Matrix(p + "attn_q.weight", c.Dim, c.Dim, type);
            Matrix(p + "attn_k.weight", c.KvDim, c.Dim, type);
            Matrix(p + "attn_v.weight", c.KvDim, c.Dim, type);
            Matrix(p + "attn_output.weight", c.Dim, c.Dim, type);
            Norm(p + "ffn_norm.weight", c.Dim);
            Matrix(p + "ffn_gate.weight", c.HiddenDim, c.Dim, type);
            Matrix(p + "ffn_down.weight", c.Dim, c.HiddenDim, type);
            Matrix(p + "ffn_up.weight", c.HiddenDim, c.Dim, type);
        }
        Norm("output_norm.weight", c.Dim);
        Matrix("output.weight", c.VocabSize, c.Dim, type);

        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            w.WriteTo(fs);
        File.Move(tmp, path, overwrite: true);
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
