namespace TokenFlow.Workloads;

/// <summary>One request of an arrival plan: when it arrives, how long its prompt and output are, and its reader's rate (tokens/s).</summary>
public sealed record PlannedRequest(string Id, double ArrivalTime, int PromptLength, int OutputLength, double Rate);
