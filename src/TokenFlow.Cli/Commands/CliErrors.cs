namespace TokenFlow.Cli.Commands;

/// <summary>A user-facing error: printed as one line, exit code 2, no stack trace.</summary>
public sealed class CliException(string message) : Exception(message);

internal static class CliErrors
{
    /// <summary>Runs a command body, turning expected failures into one line on stderr and exit code 2.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try { return await body(); }
        catch (CliException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    public static int Guard(Func<int> body) => Guard(() => Task.FromResult(body())).GetAwaiter().GetResult();
}
