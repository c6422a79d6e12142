namespace TokenFlow.Routing.Policies;

/// <summary>What a policy knows about a new stream: its reader's rate (tokens/s) and its prompt length estimate.</summary>
public readonly record struct RoutingRequest(double Rate, int PromptTokens);
