using System.Globalization;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// The architectures the engine runs and the GGUF hyper-parameter keys it reads. Every
/// <c>{arch}.*</c> key must be one the engine honours, one that carries no computation, or one at its
/// neutral value; anything else is refused by name, so no file runs with a setting silently ignored.
/// </summary>
internal static class GgufArchitecture
{
    public static IReadOnlyList<string> Supported { get; } = ["llama", "qwen2", "phi3"];

    /// <summary>Keys (after the <c>{arch}.</c> prefix) that the loader reads and honours.</summary>
    private static readonly HashSet<string> Honoured =
    [
        "context_length", "embedding_length", "feed_forward_length", "block_count", "attention.head_count", "attention.head_count_kv",
        "attention.key_length", "attention.value_length", "attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.dimension_count",
        "rope.scaling.type", "rope.scaling.factor", "attention.sliding_window", "vocab_size",
    ];

    /// <summary>Keys that describe the model but change no computation here.</summary>
    private static readonly HashSet<string> Descriptive = ["rope.scaling.original_context_length", "rope.scaling.finetuned"];

    /// <summary>Keys accepted only at the value that means "off".</summary>
    private static readonly Dictionary<string, double> Neutral = new()
    {
        ["expert_count"] = 0, ["expert_used_count"] = 0, ["rope.scaling.attn_factor"] = 1, ["attention.clamp_kqv"] = 0,
        ["logit_scale"] = 1, ["attn_logit_softcapping"] = 0, ["final_logit_softcapping"] = 0,
    };

    public static string Check(GgufFile g)
    {
        var path = g.Path;
        var arch = g.Get<string>("general.architecture") ?? throw new InvalidDataException($"{path}: missing metadata 'general.architecture'");
        if (!Supported.Contains(arch))
            throw new NotSupportedException($"{path}: unknown architecture '{arch}' (supported: {string.Join(", ", Supported)})");
        var prefix = arch + ".";
        foreach (var (key, value) in g.Metadata)
        {
            if (key == "split.count" && Convert.ToInt64(value, CultureInfo.InvariantCulture) > 1)
                throw new NotSupportedException($"{path}: split GGUF files (split.count {value}) are not supported; merge them with llama-gguf-split --merge");
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var k = key[prefix.Length..];
            if (k == "rope.scaling.type" && value is not ("none" or "linear"))
                throw new NotSupportedException($"{path}: {key} = {Show(value)} is not supported (supported: none, linear, and llama3-style rope_freqs.weight)");
            if (Honoured.Contains(k) || Descriptive.Contains(k)) continue;
            if (Neutral.TryGetValue(k, out var off) && g.TryGetNumber(key, out var v) && v == off) continue;
            throw new NotSupportedException($"{path}: GGUF key '{key}' = {Show(value)} is not supported by this engine " +
                $"(it honours {string.Join(", ", Honoured.Order().Select(h => prefix + h))}; and {string.Join(", ", Neutral.Keys.Select(n => $"{prefix}{n} = {Neutral[n]}"))})");
        }
        return arch;
    }

    private static string Show(object v) => v switch
    {
        string s => $"'{s}'",
        Array a => $"[{a.Length} values]",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "?",
    };
}
