namespace TokenFlow.Cli.Commands;

/// <summary>Where models live: an explicit file, TOKENFLOW_MODEL, or ../shared/models beside the repository (TOKENFLOW_MODELS_DIR overrides).</summary>
internal static class ModelPaths
{
    public static string ModelsDir()
    {
        var env = Environment.GetEnvironmentVariable("TOKENFLOW_MODELS_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "TokenFlow.slnx")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "models"));
    }

    /// <summary>The model file (or folder holding one GGUF) to use: the option, else TOKENFLOW_MODEL, else stories260K in the models folder.</summary>
    public static string ResolveModel(string? option)
    {
        var path = !string.IsNullOrEmpty(option) ? option
            : Environment.GetEnvironmentVariable("TOKENFLOW_MODEL") is { Length: > 0 } env ? env
            : Path.Combine(ModelsDir(), "stories260K", "stories260K.bin");
        if (!File.Exists(path) && !Directory.Exists(path)) throw new CliException($"model file not found: {path}");
        return path; // a folder is resolved to its one GGUF by LoadedModel.Load
    }

    public static string Llama2Tokenizer() => Path.Combine(ModelsDir(), "llama2-tokenizer", "tokenizer.bin");
}
