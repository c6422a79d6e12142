using System.Text.Json;

namespace TokenFlow.Inference.Tests;

/// <summary>One oracle GGUF and llama.cpp's outputs for it (<c>../shared/models/oracle/models/NAME.logits.json</c>).</summary>
internal sealed record OracleFixture(string Name, string GgufPath, JsonElement Json)
{
    public static string Dir => Path.Combine(TestModels.Dir, "oracle", "models");

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Dir, "*.gguf").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal);

    public static OracleFixture Load(string name) =>
        new(name, Path.Combine(Dir, name + ".gguf"), JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name + ".logits.json"))).RootElement);

    public string Quant => Json.GetProperty("quant").GetString()!;

    /// <summary>The tolerance: 1e-3 for F32, 2e-2 for F16/BF16, 8e-2 for quantized types.</summary>
    public float Tolerance => Quant switch { "F32" => 1e-3f, "F16" or "BF16" => 2e-2f, _ => 8e-2f };

    public int[] Prompt => Ints(Json.GetProperty("prompt_tokens"));
    public int[] Greedy => Ints(Json.GetProperty("greedy_tokens"));
    public float[] NativeLast => Floats(Json.GetProperty("last_logits"));
    public float[] ReferenceLast => Floats(Json.GetProperty("f32_reference").GetProperty("last_logits"));

    /// <summary>llama.cpp's top-1 minus top-2 at each greedy step (native run).</summary>
    public float[] StepMargins => Json.GetProperty("greedy_steps_top5").EnumerateArray()
        .Select(s => s[0][1].GetSingle() - s[1][1].GetSingle()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(x => x.GetSingle()).ToArray();
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
}
