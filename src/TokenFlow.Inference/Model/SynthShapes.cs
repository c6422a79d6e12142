namespace TokenFlow.Inference.Model;

/// <summary>Real model shapes for synthetic benchmark weights (all use the 32k Llama 2 vocabulary).</summary>
public static class SynthShapes
{
    public static IReadOnlyDictionary<string, ModelConfig> All { get; } = new Dictionary<string, ModelConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["stories15M"] = new(288, 768, 6, 6, 6, 48, 32000, 256),
        ["stories42M"] = new(512, 1376, 8, 8, 8, 64, 32000, 1024),
        ["stories110M"] = new(768, 2048, 12, 12, 12, 64, 32000, 1024),
        ["tinyllama-1.1b"] = new(2048, 5632, 22, 32, 4, 64, 32000, 2048),
    };

    public static ModelConfig Get(string name) =>
        All.TryGetValue(name, out var c) ? c : throw new ArgumentException($"unknown shape '{name}' (known: {string.Join(", ", All.Keys)})");
}
