namespace TokenFlow.Bench.Client;

/// <summary>Which OpenAI API the bench drives.</summary>
public enum EndpointKind
{
    Completions,
    ChatCompletions,
}

public static class EndpointKinds
{
    public static EndpointKind Parse(string value) => value.Trim().TrimStart('/').ToLowerInvariant() switch
    {
        "completions" or "v1/completions" or "completion" => EndpointKind.Completions,
        "chat" or "chat/completions" or "v1/chat/completions" => EndpointKind.ChatCompletions,
        _ => throw new BenchException($"--endpoint must be 'completions' or 'chat' (got '{value}')"),
    };

    public static string Path(this EndpointKind k) => k == EndpointKind.Completions ? "v1/completions" : "v1/chat/completions";
}
