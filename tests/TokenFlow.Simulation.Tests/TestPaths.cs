using System.Runtime.CompilerServices;

namespace TokenFlow.Simulation.Tests;

internal static class TestPaths
{
    /// <summary>The repository's scenarios/ folder, located from this source file (binaries may live under any --artifacts-path).</summary>
    public static string Scenarios { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourceFile())!, "..", "..", "scenarios"));

    public static string Scenario(string name) => Path.Combine(Scenarios, name);

    public static string TempFile(string name, string content)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenflow-sim-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
