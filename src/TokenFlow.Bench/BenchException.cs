namespace TokenFlow.Bench;

/// <summary>A user-facing bench failure (bad option, unreachable server): one line, no stack trace. The CLI exits non-zero.</summary>
public sealed class BenchException(string message) : Exception(message);
