namespace TokenFlow.Workloads;

/// <summary>
/// One arrival produced by an <see cref="ArrivalProcess"/>. A trace may fix the lengths and rate; null
/// fields are drawn from the scenario's distributions.
/// </summary>
public readonly record struct ArrivalEvent(double Time, int? PromptLength = null, int? OutputLength = null, double? Rate = null);
