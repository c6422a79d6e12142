using System.Text;
using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// Builds the tokenizer that a GGUF's <c>tokenizer.ggml.*</c> metadata describes: SentencePiece
/// (<c>model = llama</c>) or byte-level BPE (<c>model = gpt2</c>, with <c>merges</c> and the
/// pre-tokenizer <c>pre</c> names). Special ids, add-BOS and end-of-generation tokens follow
/// llama.cpp's reading of the same keys; anything it cannot honour is an error naming the key.
/// </summary>
public static class GgufTokenizerLoader
{
    /// <summary>Token texts that end a generation whatever their id (llama.cpp's list, plus Llama 3's end of text and DeepSeek's end of sentence).</summary>
    public static readonly string[] EndOfGenerationTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>"];

    /// <summary>Loads the tokenizer; <paramref name="vocab"/> is the model's embedding rows (null for a vocabulary-only file).</summary>
    public static ITextTokenizer Load(GgufFile g, int? vocab = null)
    {
        var path = g.Path;
        var model = g.Get<string>("tokenizer.ggml.model") ?? throw new InvalidDataException($"{path}: missing metadata 'tokenizer.ggml.model'");
        var tokens = g.Get<string[]>("tokenizer.ggml.tokens") ?? throw new InvalidDataException($"{path}: missing metadata 'tokenizer.ggml.tokens' (string array)");
        if (tokens.Length == 0) throw new InvalidDataException($"{path}: 'tokenizer.ggml.tokens' is empty");
        if (vocab is { } v && tokens.Length != v) throw new InvalidDataException($"{path}: tokenizer has {tokens.Length} tokens but token_embd has {v} rows");
        var types = g.Get<int[]>("tokenizer.ggml.token_type");
        if (types is not null && types.Length != tokens.Length)
            throw new InvalidDataException($"{path}: tokenizer arrays disagree ({tokens.Length} tokens, {types.Length} types)");
        return model switch
        {
            "llama" => LoadSentencePiece(g, tokens, types),
            "gpt2" => LoadBpe(g, tokens, types),
            _ => throw new NotSupportedException($"{path}: tokenizer model '{model}' (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)"),
        };
    }

    private static SentencePieceBpeTokenizer LoadSentencePiece(GgufFile g, string[] tokens, int[]? types)
    {
        var path = g.Path;
        var scores = g.Get<float[]>("tokenizer.ggml.scores") ?? new float[tokens.Length];
        if (scores.Length != tokens.Length) throw new InvalidDataException($"{path}: tokenizer arrays disagree ({tokens.Length} tokens, {scores.Length} scores)");
        var pieces = new byte[tokens.Length][];
        var kinds = new TokenKind[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            pieces[i] = Encoding.UTF8.GetBytes(tokens[i].Replace('\u2581', ' '));
            kinds[i] = types is null ? (SentencePieceBpeTokenizer.ParseByte(pieces[i]) >= 0 ? TokenKind.Byte : TokenKind.Normal) : Kind(types[i]);
        }
        var bos = Id(g, "tokenizer.ggml.bos_token_id", 1);
        var eos = Id(g, "tokenizer.ggml.eos_token_id", 2);
        var unk = Id(g, "tokenizer.ggml.unknown_token_id", 0);
        if ((uint)bos >= tokens.Length || (uint)eos >= tokens.Length || (uint)unk >= tokens.Length)
            throw new InvalidDataException($"{path}: special token id out of range (bos {bos}, eos {eos}, unk {unk}, vocab {tokens.Length})");
        kinds[bos] = TokenKind.Control;
        kinds[eos] = TokenKind.Control;
        return new SentencePieceBpeTokenizer(pieces, scores, kinds, bos, eos, unk,
            addBos: Flag(g, "tokenizer.ggml.add_bos_token") ?? true,
            addSpacePrefix: Flag(g, "tokenizer.ggml.add_space_prefix") ?? true,
            endOfGeneration: EndOfGeneration(g, tokens),
            rstrip: Phi3RStrip(g, tokens, kinds));
    }

    private static BpeTokenizer LoadBpe(GgufFile g, string[] tokens, int[]? types)
    {
        var path = g.Path;
        var merges = g.Get<string[]>("tokenizer.ggml.merges");
        if (merges is null || merges.Length == 0)
            throw new InvalidDataException($"{path}: byte-level BPE vocabulary without merges (tokenizer.ggml.merges is {(merges is null ? "missing" : "empty")})");
        var preName = g.Get<string>("tokenizer.ggml.pre") ?? "default";
        PreTokenizer pre;
        try { pre = PreTokenizer.FromGgufName(preName); }
        catch (NotSupportedException e) { throw new NotSupportedException($"{path}: {e.Message}"); }
        var kinds = new TokenKind[tokens.Length];
        for (var i = 0; i < tokens.Length; i++) kinds[i] = types is null ? TokenKind.Normal : Kind(types[i]);
        var pairs = new (string, string)[merges.Length];
        for (var i = 0; i < merges.Length; i++)
        {
            var m = merges[i];
            var sp = m.Length > 1 ? m.IndexOf(' ', 1) : -1;
            if (sp < 0) throw new InvalidDataException($"{path}: merge {i} ('{m}') is not two tokens separated by a space");
            pairs[i] = (m[..sp], m[(sp + 1)..]);
        }
        var bos = OptionalId(g, "tokenizer.ggml.bos_token_id", tokens.Length);
        var eos = OptionalId(g, "tokenizer.ggml.eos_token_id", tokens.Length);
        var addBos = Flag(g, "tokenizer.ggml.add_bos_token") ?? pre.IgnoreMerges; // llama.cpp: pre llama-bpe adds BOS
        return new BpeTokenizer(tokens, kinds, pairs, pre, bos, eos, addBos, EndOfGeneration(g, tokens), Phi3RStrip(g, tokens, kinds));
    }

    private static TokenKind Kind(int t) => Enum.IsDefined((TokenKind)t) ? (TokenKind)t : TokenKind.Normal;

    private static int Id(GgufFile g, string key, int fallback) => g.TryGetNumber(key, out var v) ? (int)v : fallback;

    /// <summary>An id key, or −1 when absent or not a valid id (llama.cpp ignores such "bad special tokens").</summary>
    private static int OptionalId(GgufFile g, string key, int vocab) => g.TryGetNumber(key, out var v) && v >= 0 && v < vocab ? (int)v : -1;

    private static bool? Flag(GgufFile g, string key) => g.Metadata.TryGetValue(key, out var v) && v is bool b ? b : null;

    private static IEnumerable<int> EndOfGeneration(GgufFile g, string[] tokens)
    {
        foreach (var key in new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (OptionalId(g, key, tokens.Length) is var id and >= 0) yield return id;
        for (var i = 0; i < tokens.Length; i++)
            if (Array.IndexOf(EndOfGenerationTexts, tokens[i]) >= 0) yield return i;
    }

    /// <summary>llama.cpp's Phi-3 rule (general.name contains "phi-3"/"phi3"): special tokens swallow the whitespace after them, except &lt;unk&gt;, &lt;s&gt; and &lt;|endoftext|&gt;.</summary>
    private static HashSet<int>? Phi3RStrip(GgufFile g, string[] tokens, TokenKind[] kinds)
    {
        var name = (g.Get<string>("general.name") ?? "").ToLowerInvariant();
        if (!name.Contains("phi-3") && !name.Contains("phi3")) return null;
        var set = new HashSet<int>();
        for (var i = 0; i < tokens.Length; i++)
        {
            var special = kinds[i] is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown || tokens[i] == "</s>";
            if (special && tokens[i] is not ("<unk>" or "<s>" or "<|endoftext|>")) set.Add(i);
        }
        return set;
    }
}
