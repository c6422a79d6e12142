using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference;

/// <summary>Turns a <c>--model</c> argument into a model file: a file as given, or a folder holding exactly one GGUF.</summary>
public static class ModelFiles
{
    public static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            var ggufs = Directory.GetFiles(path, "*.gguf").Where(GgufFile.HasMagic).Order(StringComparer.Ordinal).ToArray();
            return ggufs.Length switch
            {
                1 => ggufs[0],
                0 => throw new FileNotFoundException($"{path}: the folder holds no GGUF model file"),
                _ => throw new InvalidDataException($"{path}: the folder holds {ggufs.Length} GGUF files ({string.Join(", ", ggufs.Take(4).Select(Path.GetFileName))}{(ggufs.Length > 4 ? ", …" : "")}); name one with --model"),
            };
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: model file not found", path);
        if (!GgufFile.HasMagic(path) && !path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: not a model file (no GGUF magic, and not a llama2.c .bin checkpoint)");
        return path;
    }
}
