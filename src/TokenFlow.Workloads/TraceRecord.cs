namespace TokenFlow.Workloads;

/// <summary>One row of a request trace: arrival timestamp (s), prompt and output lengths, and an optional reader rate.</summary>
public sealed record TraceRecord(double Timestamp, int PromptLength, int OutputLength, double? Rate = null);
