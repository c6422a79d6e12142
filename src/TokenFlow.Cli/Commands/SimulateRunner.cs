using Spectre.Console;
using TokenFlow.Simulation;
using TokenFlow.Workloads;

namespace TokenFlow.Cli.Commands;

/// <summary>Runs each policy's simulation, with a progress bar when stdout is a terminal.</summary>
internal static class SimulateRunner
{
    public static IReadOnlyList<SimulationResult> RunAll(IReadOnlyList<SimulationConfig> configs, IReadOnlyList<PlannedRequest> plan, bool showProgress)
    {
        var results = new List<SimulationResult>();
        if (!showProgress)
        {
            foreach (var c in configs) results.Add(RunOne(c, plan, null));
            return results;
        }
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                foreach (var c in configs)
                {
                    var task = ctx.AddTask($"{c.Policy} ({plan.Count} requests)", maxValue: plan.Count);
                    results.Add(RunOne(c, plan, p => task.Value = p.Finished));
                    task.Value = plan.Count;
                }
            });
        return results;
    }

    private static SimulationResult RunOne(SimulationConfig config, IReadOnlyList<PlannedRequest> plan, Action<SimulationProgress>? progress)
    {
        try { return Simulator.Run(config, plan, progress); }
        catch (InvalidOperationException e) { throw new CliException($"simulation of policy '{config.Policy}' failed: {e.Message.Split('\n')[0]}"); }
    }
}
