namespace TokenFlow.Server.Model;

/// <summary>
/// Decides which model <c>serve</c> loads: --model, else TOKENFLOW_MODEL, else the stories260K
/// folder beside the clone (../shared/models, or TOKENFLOW_MODELS_DIR), else none (synthetic).
/// </summary>
public static class ModelLocator
{
    public sealed record Choice(string ModelPath, string? TokenizerPath, string Source);

    public static Choice? Resolve(string? modelPath, string? tokenizerPath)
    {
        if (!string.IsNullOrWhiteSpace(modelPath)) return new Choice(modelPath, tokenizerPath, "--model");
        var env = Environment.GetEnvironmentVariable("TOKENFLOW_MODEL");
        if (!string.IsNullOrWhiteSpace(env)) return new Choice(env, tokenizerPath, "TOKENFLOW_MODEL");
        if (FindStories260K() is { } dir)
            return new Choice(Path.Combine(dir, "stories260K.bin"), tokenizerPath ?? Path.Combine(dir, "tok512.bin"), dir);
        return null;
    }

    /// <summary>The stories260K folder, if present: TOKENFLOW_MODELS_DIR, else ../shared/models beside the working directory, this assembly or (tests) a given folder, or any of their ancestors.</summary>
    public static string? FindStories260K(params string[] extraStarts)
    {
        var modelsDir = Environment.GetEnvironmentVariable("TOKENFLOW_MODELS_DIR");
        if (!string.IsNullOrWhiteSpace(modelsDir))
        {
            var d = Path.Combine(modelsDir, "stories260K");
            return File.Exists(Path.Combine(d, "stories260K.bin")) ? Path.GetFullPath(d) : null;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory }.Concat(extraStarts))
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var d = Path.Combine(dir.FullName, "..", "shared", "models", "stories260K");
                if (File.Exists(Path.Combine(d, "stories260K.bin"))) return Path.GetFullPath(d);
            }
        return null;
    }
}
