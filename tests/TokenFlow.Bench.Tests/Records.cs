using TokenFlow.Bench.Results;

namespace TokenFlow.Bench.Tests;

/// <summary>Hand-made request records (chunk timelines) for metric tests.</summary>
internal static class Records
{
    public static BenchRequestRecord Of(string id, double sentAt, double rate, params double[] tokenTimes) => new()
    {
        Id = id,
        PlannedArrival = sentAt,
        SentAt = sentAt,
        Rate = rate,
        PromptLength = 8,
        OutputLength = tokenTimes.Length,
        OutputTokens = tokenTimes.Length,
        Chunks = tokenTimes.Length,
        Completed = true,
        EndAt = tokenTimes.Length > 0 ? tokenTimes[^1] : sentAt,
        TokenTimes = tokenTimes,
    };

    public static BenchConfig Config => new() { Label = "test", EffectiveFullWeightFraction = 0.1, EffectiveZeroWeightFraction = 0.2 };
}
