namespace TokenFlow.Server.Api;

/// <summary>OpenAI's error body: {"error": {"message", "type", "param", "code"}}.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Message, string Type, string? Param, string? Code);
