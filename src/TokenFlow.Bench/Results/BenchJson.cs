using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenFlow.Bench.Results;

/// <summary>Reads and writes <see cref="BenchReport"/> JSON: snake_case names (vLLM's result keys), NaN and ∞ allowed.</summary>
public static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static void Write(BenchReport report, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, report, Options);
    }

    public static BenchReport Read(string path)
    {
        if (!File.Exists(path)) throw new BenchException($"{path}: file not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<BenchReport>(stream, Options) ?? throw new BenchException($"{path}: empty JSON");
        }
        catch (JsonException e) { throw new BenchException($"{path}: not a tokenflow bench result ({e.Message.Split('\n')[0]})"); }
    }
}
