namespace TokenFlow.Server.Api;

/// <summary>POST /v1/chat/completions response (non-streaming).</summary>
public sealed record ChatCompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    Usage Usage,
    string? SystemFingerprint = null);

public sealed record ChatChoice(int Index, ChatMessageDto Message, object? Logprobs, string? FinishReason);

public sealed record ChatMessageDto(string Role, string? Content);
