using System.CommandLine;
using Spectre.Console;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Metrics;
using TokenFlow.Core.Scheduling;
using TokenFlow.Simulation;
using TokenFlow.Workloads;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow simulate</c>: runs a scenario through the GPU simulator under one or more policies.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario file (JSON; see docs/simulator.md)", Required = true };
        var hardware = new Option<string?>("--hardware") { Description = $"GPU profile: {string.Join(", ", HardwareProfiles.Names)} (default: the scenario's)" };
        var model = new Option<string?>("--model") { Description = $"Model profile: {string.Join(", ", ModelProfiles.Names)} (default: the scenario's)" };
        var policy = new Option<string[]>("--policy") { Description = "Policy to run; repeat for several (default: fcfs, andes, tokenflow)", AllowMultipleArgumentsPerToken = false };
        var seed = new Option<int?>("--seed") { Description = "Seed of the arrival plan (default: the scenario's)" };
        var fraction = new Option<double?>("--kv-mem-fraction") { Description = "Fraction of free GPU memory for KV (default: the scenario's, else 0.9)" };
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file" };
        var noWriteThrough = new Option<bool>("--no-write-through") { Description = "Ablation: no background write-through of KV to the host" };
        var noOffload = new Option<bool>("--no-offload") { Description = "Ablation: every preemption recomputes" };
        var noPartial = new Option<bool>("--no-partial-reclaim") { Description = "Ablation: free a preempted stream's blocks only after its tail is written" };
        var noOverlap = new Option<bool>("--no-load-evict-overlap") { Description = "Ablation: loads wait until evictions finish" };
        var chunked = new Option<bool>("--chunked-prefill") { Description = "FCFS flavour: chunked prefill under the token budget (default: prefill-first, unchunked)" };
        var maxSeqs = new Option<int?>("--max-num-seqs") { Description = "Most sequences per iteration (default 256)" };
        var maxTokens = new Option<int?>("--max-batched-tokens") { Description = "Token budget per iteration (default 8192)" };
        var maxDelay = new Option<double?>("--max-queue-delay") { Description = "Refuse (count as rejected) a newcomer whose estimated queueing delay exceeds this many seconds, as serve does (default: off)" };
        var goodTtft = new Option<double>("--goodput-ttft") { Description = "Streaming goodput: most TTFT (s) of a good request", DefaultValueFactory = _ => new MetricsOptions().GoodputTtftSeconds };
        var goodStall = new Option<double>("--goodput-stall") { Description = "Streaming goodput: most total stall (s) of a good request", DefaultValueFactory = _ => new MetricsOptions().GoodputStallSeconds };
        var cluster = new ClusterSimulateOptions();

        var cmd = new Command("simulate", "Simulate a scenario on a modelled GPU under one or more scheduling policies");
        foreach (var o in new Option[] { scenario, hardware, model, policy, seed, fraction, json, noWriteThrough, noOffload, noPartial, noOverlap, chunked, maxSeqs, maxTokens, goodTtft, goodStall, maxDelay })
            cmd.Options.Add(o);
        var policyOptions = new PolicyOptions();
        policyOptions.AddTo(cmd);
        cluster.AddTo(cmd);
        cmd.SetAction(parse => CliErrors.Guard(() =>
        {
            var args = new SimulateArgs
            {
                ScenarioPath = parse.GetValue(scenario)!,
                Hardware = parse.GetValue(hardware),
                Model = parse.GetValue(model),
                Policies = parse.GetValue(policy) is { Length: > 0 } p ? p : [.. SchedulerFactory.Names],
                Seed = parse.GetValue(seed),
                KvMemFraction = parse.GetValue(fraction),
                JsonPath = parse.GetValue(json),
                WriteThrough = !parse.GetValue(noWriteThrough),
                Offload = !parse.GetValue(noOffload),
                PartialReclamation = !parse.GetValue(noPartial),
                LoadEvictOverlap = !parse.GetValue(noOverlap),
                ChunkedPrefill = parse.GetValue(chunked),
                MaxNumSeqs = parse.GetValue(maxSeqs),
                MaxBatchedTokens = parse.GetValue(maxTokens),
                Scheduler = policyOptions.Read(parse),
                GoodputTtftSeconds = parse.GetValue(goodTtft),
                GoodputStallSeconds = parse.GetValue(goodStall),
                MaxQueueDelay = parse.GetValue(maxDelay),
                Cluster = cluster.Read(parse),
            };
            return Run(args);
        }));
        return cmd;
    }

    private static int Run(SimulateArgs a)
    {
        var scenario = ScenarioLoader.Load(a.ScenarioPath);
        var hwName = a.Hardware ?? scenario.Hardware ?? throw new CliException($"{a.ScenarioPath}: hardware: not given; pass --hardware ({string.Join("|", HardwareProfiles.Names)})");
        var modelName = a.Model ?? scenario.Model ?? throw new CliException($"{a.ScenarioPath}: model: not given; pass --model ({string.Join("|", ModelProfiles.Names)})");
        HardwareProfile hw;
        ModelProfile model;
        try { hw = HardwareProfiles.Get(hwName); }
        catch (ArgumentException e) { throw new CliException($"{(a.Hardware is null ? a.ScenarioPath + ": hardware" : "--hardware")}: {e.Message}"); }
        try { model = ModelProfiles.Get(modelName); }
        catch (ArgumentException e) { throw new CliException($"{(a.Model is null ? a.ScenarioPath + ": model" : "--model")}: {e.Message}"); }
        foreach (var p in a.Policies)
            if (!SchedulerFactory.Names.Contains(p.ToLowerInvariant()))
                throw new CliException($"--policy: unknown policy '{p}' (expected one of: {string.Join(", ", SchedulerFactory.Names)})");
        var fraction = a.KvMemFraction ?? scenario.KvMemFraction ?? KvSizing.DefaultMemFraction;
        if (!(fraction > 0 && fraction <= 1)) throw new CliException($"--kv-mem-fraction: must be in (0, 1] (got {fraction})");
        if (a.MaxNumSeqs is < 1) throw new CliException($"--max-num-seqs: must be ≥ 1 (got {a.MaxNumSeqs})");
        if (!(a.GoodputTtftSeconds >= 0) || double.IsInfinity(a.GoodputTtftSeconds)) throw new CliException($"--goodput-ttft: must be a non-negative number (got {a.GoodputTtftSeconds})");
        if (!(a.GoodputStallSeconds >= 0) || double.IsInfinity(a.GoodputStallSeconds)) throw new CliException($"--goodput-stall: must be a non-negative number (got {a.GoodputStallSeconds})");
        if (a.MaxQueueDelay is { } mqd && !(mqd > 0 && double.IsFinite(mqd))) throw new CliException($"--max-queue-delay: must be a positive number of seconds (got {mqd})");
        if (a.MaxBatchedTokens is < 1) throw new CliException($"--max-batched-tokens: must be ≥ 1 (got {a.MaxBatchedTokens})");

        var defaults = new EngineOptions();
        var engine = defaults with
        {
            ChunkedPrefill = a.ChunkedPrefill,
            MaxNumSeqs = a.MaxNumSeqs ?? defaults.MaxNumSeqs,
            MaxBatchedTokens = a.MaxBatchedTokens ?? defaults.MaxBatchedTokens,
            Kv = defaults.Kv with
            {
                WriteThrough = a.WriteThrough,
                Offload = a.Offload,
                PartialReclamation = a.PartialReclamation,
                LoadEvictOverlap = a.LoadEvictOverlap,
            },
        };
        var plan = scenario.Plan(a.Seed);
        if (plan.Count == 0) throw new CliException($"{a.ScenarioPath}: arrivals: the scenario produces no requests");
        KvSizing sizing;
        try { sizing = KvSizing.For(hw, model, fraction, engine.Kv.BlockSize, engine.MaxBatchedTokens, engine.MaxNumSeqs); }
        catch (ArgumentException e) { throw new CliException($"--model: {e.Message}"); }

        var configs = a.Policies.Select(p => new SimulationConfig { Hardware = hw, Model = model, Policy = p.ToLowerInvariant(), Scheduler = a.Scheduler, KvMemFraction = fraction, Engine = engine,
            Metrics = new MetricsOptions { GoodputTtftSeconds = a.GoodputTtftSeconds, GoodputStallSeconds = a.GoodputStallSeconds }, MaxQueueDelay = a.MaxQueueDelay }).ToArray();
        var header = new SimulateHeader(scenario.Name, a.ScenarioPath, hw.Name, model.Name, plan.Count, fraction, sizing, a.Seed ?? scenario.Seed, engine);
        foreach (var t in scenario.Arrivals.OfType<TraceArrivals>().Where(t => t.MaxContext is not null))
            AnsiConsole.MarkupLine(Markup.Escape($"trace {t.File}: {t.ClippedRows} of {t.Records.Count} rows clipped to {t.MaxContext} tokens of context"));
        if (a.Cluster is { } c) return ClusterSimulateOptions.RunAndPrint(c, header, configs, plan);
        var results = SimulateRunner.RunAll(configs, plan, showProgress: !Console.IsOutputRedirected && plan.Count >= 500);
        SimulateOutput.PrintTable(header, results);
        if (a.JsonPath is { } path) SimulateOutput.WriteJson(path, header, results);
        return results.All(r => r.KvReturnedToFull) ? 0 : 1;
    }
}

/// <summary>Parsed command line of <c>tokenflow simulate</c>.</summary>
internal sealed record SimulateArgs
{
    public required string ScenarioPath { get; init; }
    public string? Hardware { get; init; }
    public string? Model { get; init; }
    public required string[] Policies { get; init; }
    public int? Seed { get; init; }
    public double? KvMemFraction { get; init; }
    public double GoodputTtftSeconds { get; init; } = 2;
    public double GoodputStallSeconds { get; init; } = 1;
    public double? MaxQueueDelay { get; init; }
    public string? JsonPath { get; init; }
    public bool WriteThrough { get; init; } = true;
    public bool Offload { get; init; } = true;
    public bool PartialReclamation { get; init; } = true;
    public bool LoadEvictOverlap { get; init; } = true;
    public bool ChunkedPrefill { get; init; }
    public int? MaxNumSeqs { get; init; }
    public int? MaxBatchedTokens { get; init; }
    public TokenFlow.Core.Scheduling.SchedulerOptions Scheduler { get; init; } = new();
    /// <summary>--replicas/--router: run a simulated cluster instead of one replica.</summary>
    public ClusterSimulateArgs? Cluster { get; init; }
}

/// <summary>What a simulate run was, for the table and the JSON.</summary>
internal sealed record SimulateHeader(string Scenario, string ScenarioPath, string Hardware, string Model, int Requests, double KvMemFraction, KvSizing Kv, int Seed, EngineOptions Engine);
