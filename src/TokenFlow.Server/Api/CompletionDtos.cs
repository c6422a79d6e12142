namespace TokenFlow.Server.Api;

/// <summary>POST /v1/completions response (non-streaming).</summary>
public sealed record CompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<CompletionChoice> Choices,
    Usage Usage,
    string? SystemFingerprint = null);

public sealed record CompletionChoice(int Index, string Text, object? Logprobs, string? FinishReason);
