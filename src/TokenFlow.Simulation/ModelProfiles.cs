namespace TokenFlow.Simulation;

/// <summary>Model shapes of design §7, from their Hugging Face config.json files.</summary>
public static class ModelProfiles
{
    /// <summary>meta-llama/Meta-Llama-3-8B: 32 layers, 4096 hidden, 32/8 heads, 14336 FFN, 128256 vocab (8.03 B params).</summary>
    public static ModelProfile Llama3_8B { get; } = new("llama3-8b", Layers: 32, Hidden: 4096, Heads: 32, KvHeads: 8, HeadDim: 128, Ffn: 14336, Vocab: 128256);

    /// <summary>Qwen/Qwen2.5-32B: 64 layers, 5120 hidden, 40/8 heads, 27648 FFN, 152064 vocab (~32.8 B params, untied).</summary>
    public static ModelProfile Qwen25_32B { get; } = new("qwen2.5-32b", Layers: 64, Hidden: 5120, Heads: 40, KvHeads: 8, HeadDim: 128, Ffn: 27648, Vocab: 152064);

    /// <summary>Qwen/Qwen2-7B: 28 layers, 3584 hidden, 28/4 heads, 18944 FFN, 152064 vocab.</summary>
    public static ModelProfile Qwen2_7B { get; } = new("qwen2-7b", Layers: 28, Hidden: 3584, Heads: 28, KvHeads: 4, HeadDim: 128, Ffn: 18944, Vocab: 152064);

    public static IReadOnlyList<ModelProfile> All { get; } = [Llama3_8B, Qwen25_32B, Qwen2_7B];

    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    public static ModelProfile Get(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace("_", "-");
        return All.FirstOrDefault(m => m.Name == key || m.Name.Replace("-", "") == key.Replace("-", ""))
            ?? throw new ArgumentException($"unknown model '{name}' (expected one of: {string.Join(", ", Names)})");
    }

    /// <summary>Any Llama-family model from its config values (head dim defaults to hidden/heads).</summary>
    public static ModelProfile FromConfig(string name, int layers, int hidden, int heads, int kvHeads, int ffn, int vocab, int? headDim = null, bool tiedEmbeddings = false)
    {
        if (layers < 1 || hidden < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || vocab < 1)
            throw new ArgumentException($"model '{name}': every dimension must be ≥ 1");
        if (heads % kvHeads != 0) throw new ArgumentException($"model '{name}': heads ({heads}) must be a multiple of kv heads ({kvHeads})");
        return new ModelProfile(name, layers, hidden, heads, kvHeads, headDim ?? hidden / heads, ffn, vocab, tiedEmbeddings);
    }
}
