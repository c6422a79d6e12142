namespace TokenFlow.Bench.Workload;

/// <summary>One request the bench will send: when (seconds after the start), what prompt, how many tokens, and the reader's rate.</summary>
public sealed record BenchRequestSpec(string Id, double ArrivalTime, string Prompt, int PromptLength, int OutputLength, double Rate);
