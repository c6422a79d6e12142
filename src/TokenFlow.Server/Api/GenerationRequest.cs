using TokenFlow.Core.Requests;

namespace TokenFlow.Server.Api;

/// <summary>A validated completion or chat request, ready for the engine.</summary>
public sealed record GenerationRequest
{
    public required int[] PromptTokens { get; init; }
    public required int MaxTokens { get; init; }
    public required SamplingParams Sampling { get; init; }
    public required double ConsumptionRate { get; init; }
    public int Priority { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    public bool ContinuousUsage { get; init; }
    public bool IgnoreEos { get; init; }
    public int MinTokens { get; init; }
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public IReadOnlySet<int>? StopTokenIds { get; init; }
    public bool SkipSpecialTokens { get; init; } = true;
    public string? User { get; init; }
    /// <summary>Completions with echo: the prompt's text, sent before the output.</summary>
    public string? EchoText { get; init; }
    /// <summary>response_format json_object: decoding is constrained to one JSON object.</summary>
    public bool JsonObject { get; init; }
}
