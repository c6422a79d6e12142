namespace TokenFlow.Core.Scheduling;

/// <summary>Creates a policy by its command-line name.</summary>
public static class SchedulerFactory
{
    public static IReadOnlyList<string> Names { get; } = ["fcfs", "andes", "tokenflow"];

    public static IScheduler Create(string name, SchedulerOptions? options = null)
    {
        options ??= new SchedulerOptions();
        return name.ToLowerInvariant() switch
        {
            "fcfs" => new FcfsScheduler(),
            "andes" => new AndesScheduler(options.Andes),
            "tokenflow" => new TokenFlowScheduler(options.TokenFlow),
            _ => throw new ArgumentException($"unknown policy '{name}' (expected one of: {string.Join(", ", Names)})"),
        };
    }
}
