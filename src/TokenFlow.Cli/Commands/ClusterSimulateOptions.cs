using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TokenFlow.Routing.Policies;
using TokenFlow.Simulation;
using TokenFlow.Simulation.Cluster;
using TokenFlow.Workloads;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow simulate --replicas N --router P</c>: the scenario through N simulated replicas behind the real routing code.</summary>
internal sealed class ClusterSimulateOptions
{
    private readonly Option<int?> _replicas = new("--replicas") { Description = "Simulate this many replicas behind a router (the scenario's rate is the cluster's)" };
    private readonly Option<string[]> _router = new("--router") { Description = "Routing policy with --replicas; repeat for several (default: round-robin, least-requests, buffer-aware)", AllowMultipleArgumentsPerToken = false };
    private readonly Option<double> _poll = new("--poll-interval") { Description = "With --replicas: seconds between load reports", DefaultValueFactory = _ => 0.2 };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(_replicas);
        cmd.Options.Add(_router);
        cmd.Options.Add(_poll);
    }

    public ClusterSimulateArgs? Read(ParseResult p)
    {
        var n = p.GetValue(_replicas);
        var routers = p.GetValue(_router) is { Length: > 0 } r ? r : null;
        if (n is null && routers is null) return null;
        if (n is not (>= 1 and <= 4096)) throw new CliException("--replicas: must be 1..4096 (and is required with --router)");
        foreach (var x in routers ?? [])
            if (!RoutingPolicies.Names.Contains(x.ToLowerInvariant())) throw new CliException($"--router: unknown policy '{x}' (expected one of: {string.Join(", ", RoutingPolicies.Names)})");
        var poll = p.GetValue(_poll);
        if (!(poll > 0 && poll <= 10)) throw new CliException("--poll-interval: must be in (0, 10] seconds");
        return new ClusterSimulateArgs(n.Value, routers ?? [.. RoutingPolicies.Names], poll);
    }

    internal static int RunAndPrint(ClusterSimulateArgs a, SimulateHeader header, IReadOnlyList<SimulationConfig> configs, IReadOnlyList<PlannedRequest> plan)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(header.Scenario)}[/]: {header.Requests} requests on {a.Replicas} x {Markup.Escape(header.Hardware)} / {Markup.Escape(header.Model)}, KV fraction {header.KvMemFraction.ToString(CultureInfo.InvariantCulture)}, load reports every {a.PollInterval.ToString(CultureInfo.InvariantCulture)} s");
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
        var table = new Table().AddColumns("replica policy", "router", "eff. tok/s", "tok/s", "P99 TTFT s", "mean stall s", "rejected", "preempt", "spread (min..max)", "wall s");
        var allFull = true;
        foreach (var c in configs)
            foreach (var router in a.Routers)
            {
                ClusterResult r;
                try { r = ClusterSimulator.Run(new ClusterConfig { Replica = c, Replicas = a.Replicas, Router = router.ToLowerInvariant(), PollInterval = a.PollInterval }, plan); }
                catch (InvalidOperationException e) { throw new CliException($"cluster simulation ({c.Policy}, {router}) failed: {e.Message.Split('\n')[0]}"); }
                allFull &= r.KvReturnedToFull;
                var s = r.Summary;
                table.AddRow(c.Policy, router, F(s.EffectiveThroughputTps, "0"), F(s.TokenThroughputTps, "0"), F(s.TtftP99Seconds, "0.00"), F(s.StallMeanSeconds, "0.000"),
                    r.Rejected.ToString(CultureInfo.InvariantCulture), r.Preemptions.ToString(CultureInfo.InvariantCulture), $"{r.PerReplica.Min()}..{r.PerReplica.Max()}", F(r.WallSeconds, "0.0"));
            }
        AnsiConsole.Write(table);
        return allFull ? 0 : 1;
    }

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}

internal sealed record ClusterSimulateArgs(int Replicas, string[] Routers, double PollInterval);
