using System.Text.Json;

namespace TokenFlow.Inference.Tests;

/// <summary>Finds ../shared/models beside the repository (TOKENFLOW_MODELS_DIR overrides) and loads shared test models once.</summary>
internal static class TestModels
{
    public static string Dir { get; } = FindModels();

    private static readonly Lazy<LoadedModel> _stories = new(() => LoadedModel.Load(Path.Combine(Dir!, "stories260K", "stories260K.bin")));

    public static LoadedModel Stories260K => _stories.Value;

    public static string StoriesDir => Path.Combine(Dir, "stories260K");

    public static JsonDocument Golden() => JsonDocument.Parse(File.ReadAllText(Path.Combine(StoriesDir, "golden.json")));

    private static string FindModels([System.Runtime.CompilerServices.CallerFilePath] string source = "")
    {
        var env = Environment.GetEnvironmentVariable("TOKENFLOW_MODELS_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        // The build output may live outside the repository (--artifacts-path), so also start from this source file.
        DirectoryInfo? dir = null;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory, Path.GetDirectoryName(source) ?? "" })
        {
            dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TokenFlow.slnx"))) dir = dir.Parent;
            if (dir is not null) break;
        }
        if (dir is null) throw new DirectoryNotFoundException("repository root (TokenFlow.slnx) not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
    }
}
