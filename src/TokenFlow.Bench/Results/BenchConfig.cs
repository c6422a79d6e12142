namespace TokenFlow.Bench.Results;

/// <summary>What was run, as recorded in the JSON (enough to rerun it and to label it in comparisons).</summary>
public sealed record BenchConfig
{
    /// <summary>Short name for tables and plot legends (--label, else derived from the URL and model).</summary>
    public string Label { get; init; } = "";
    public string Url { get; init; } = "";
    public string Endpoint { get; init; } = "";
    public string Model { get; init; } = "";
    public string? Scenario { get; init; }
    public string? Dataset { get; init; }
    public int Seed { get; init; }
    public int? NumPrompts { get; init; }
    public double? RequestRate { get; init; }
    public double? Burstiness { get; init; }
    public int? MaxConcurrency { get; init; }
    public double? DurationLimit { get; init; }
    public string? Goodput { get; init; }
    public bool VllmExtensions { get; init; }
    public double EffectiveFullWeightFraction { get; init; }
    public double EffectiveZeroWeightFraction { get; init; }
    /// <summary>Prompt sizing measured on the server: tokens ≈ overhead + tokens_per_word·words.</summary>
    public double TokensPerWord { get; init; }
    public double PromptOverheadTokens { get; init; }
    public bool CalibrationMeasured { get; init; }
    public DateTimeOffset StartedUtc { get; init; }
}
