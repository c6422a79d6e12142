using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Engine;

/// <summary>An immutable picture of the engine for dashboards and metrics, taken on the engine thread.</summary>
public sealed record EngineSnapshot(
    double Time,
    IReadOnlyList<StreamSnapshot> Streams,
    int Waiting,
    int Running,
    int Paused,
    int DeviceBlocksUsed,
    int DeviceBlocksTotal,
    int HostBlocksUsed,
    int HostBlocksTotal,
    long BytesToHost,
    long BytesToDevice,
    long SwapPreemptions,
    long RecomputePreemptions,
    long PromptTokens,
    long GeneratedTokens)
{
    public static EngineSnapshot Empty { get; } = new(0, [], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

public sealed record StreamSnapshot(string Id, RequestState State, int Generated, int Buffer, double Slack, double Rate, double ArrivalTime);
