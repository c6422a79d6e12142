namespace TokenFlow.Core.Metrics;

/// <summary>What the metrics need of one request: when it arrived, its reader's rate and when each token arrived.</summary>
public sealed record RequestTrace(string Id, double ArrivalTime, double Rate, IReadOnlyList<double> TokenTimes)
{
    public int PromptTokens { get; init; }
    /// <summary>False when the request failed or was cut short; it still counts the tokens it got.</summary>
    public bool Completed { get; init; } = true;
}
