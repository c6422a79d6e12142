using System.Text.Json.Serialization;

namespace TokenFlow.Bench.Results;

/// <summary>
/// One request as the bench saw it; all times are seconds since the run started. The per-request
/// metrics are derived from <see cref="TokenTimes"/> by the core's metrics code.
/// </summary>
public sealed record BenchRequestRecord
{
    public required string Id { get; init; }
    /// <summary>When the plan said to send it.</summary>
    public double PlannedArrival { get; init; }
    /// <summary>When it was actually sent (later than planned under --max-concurrency): A_i of design §2.</summary>
    public double SentAt { get; init; }
    /// <summary>The reader's consumption rate, tokens/s.</summary>
    public double Rate { get; init; }
    /// <summary>Planned prompt length in tokens.</summary>
    public int PromptLength { get; init; }
    /// <summary>The server's count of prompt tokens (usage), when it gave one.</summary>
    public int? PromptTokens { get; init; }
    /// <summary>max_tokens sent (the planned output length).</summary>
    public int OutputLength { get; init; }
    /// <summary>Tokens received: usage.completion_tokens when reported, else the number of text chunks.</summary>
    public int OutputTokens { get; init; }
    public int Chunks { get; init; }
    public bool Completed { get; init; }
    /// <summary>Error kind (see ErrorKinds), null on success.</summary>
    public string? Error { get; init; }
    public string? ErrorMessage { get; init; }
    /// <summary>When the response ended (last byte, error or timeout).</summary>
    public double EndAt { get; init; }
    /// <summary>Arrival time of each token (design §2's a_j).</summary>
    public double[] TokenTimes { get; init; } = [];
    /// <summary>Arrival time of each text chunk, only when it differs from <see cref="TokenTimes"/> (vLLM's ITL uses chunks).</summary>
    public double[]? ChunkTimes { get; init; }

    // Derived (filled after the run, from the core's RequestMetricsCalculator and vLLM's definitions).
    public double? TtftSeconds { get; init; }
    public double? E2elSeconds { get; init; }
    public double? TpotSeconds { get; init; }
    public double StallSeconds { get; init; }
    public double EffectiveTokens { get; init; }

    [JsonIgnore]
    public IReadOnlyList<double> ChunkTimeline => ChunkTimes ?? TokenTimes;
}
