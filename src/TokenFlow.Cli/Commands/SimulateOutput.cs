using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using TokenFlow.Simulation;

namespace TokenFlow.Cli.Commands;

/// <summary>The table and the JSON of <c>tokenflow simulate</c>.</summary>
internal static class SimulateOutput
{
    public static void PrintTable(SimulateHeader h, IReadOnlyList<SimulationResult> results)
    {
        // Redirected output defaults to 80 columns, which would wrap every cell; logs can be wider.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 180) AnsiConsole.Profile.Width = 180;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{h.Scenario}: {h.Requests} requests, seed {h.Seed} | {h.Hardware}, {h.Model} | device KV {h.Kv.DeviceBlocks} blocks " +
            $"({h.Kv.DeviceTokens:N0} tokens, {h.Kv.DeviceBlocks * h.Kv.BlockBytes / 1e9:0.0} GB at fraction {h.KvMemFraction}) | " +
            $"{(h.Engine.ChunkedPrefill ? "chunked prefill" : "prefill-first")}{Ablations(h)}"));
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in new[] { "policy", "eff tok/s", "tok/s", "TTFT P50", "TTFT P99", "TBT P99", "stall mean", "stall P99", "goodput", "QoS", "preempt swap/rec", "to host", "to device", "makespan s", "done" })
            table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var r in results)
        {
            var s = r.Summary;
            table.AddRow(r.Policy, F(s.EffectiveThroughputTps, "0.0"), F(s.TokenThroughputTps, "0.0"), F(s.TtftP50Seconds, "0.000"), F(s.TtftP99Seconds, "0.000"),
                F(s.TbtP99Seconds, "0.0000"), F(s.StallMeanSeconds, "0.000"), F(s.StallP99Seconds, "0.000"), F(s.StreamingGoodput, "0.000"), F(s.Qos, "0.0"),
                $"{r.SwapPreemptions}/{r.RecomputePreemptions}", Bytes(r.BytesToHost), Bytes(r.BytesToDevice), F(s.MakespanSeconds, "0.0"),
                $"{s.CompletedRequests}/{s.Requests}{(r.KvReturnedToFull ? "" : " KV!")}");
        }
        AnsiConsole.Write(table);
        foreach (var r in results.Where(r => r.RejectedRequests > 0))
            AnsiConsole.MarkupLine(Markup.Escape($"{r.Policy}: {r.RejectedRequests} of {r.Summary.Requests} requests rejected (estimated queueing delay over --max-queue-delay)"));
        foreach (var r in results.Where(r => !r.KvReturnedToFull))
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(r.Policy)}: the KV pools did not return to full at the end[/]");
    }

    public static void WriteJson(string path, SimulateHeader h, IReadOnlyList<SimulationResult> results)
    {
        var arr = new JsonArray();
        foreach (var r in results)
        {
            var s = r.Summary;
            arr.Add(new JsonObject
            {
                ["policy"] = r.Policy,
                ["effective_throughput_tps"] = N(s.EffectiveThroughputTps),
                ["token_throughput_tps"] = N(s.TokenThroughputTps),
                ["ttft_p50_s"] = N(s.TtftP50Seconds),
                ["ttft_p99_s"] = N(s.TtftP99Seconds),
                ["tbt_p99_s"] = N(s.TbtP99Seconds),
                ["stall_mean_s"] = N(s.StallMeanSeconds),
                ["stall_p99_s"] = N(s.StallP99Seconds),
                ["preemptions"] = r.Preemptions,
                ["bytes_to_host"] = r.BytesToHost,
                ["bytes_to_device"] = r.BytesToDevice,
                // Beyond the required fields: the rest of design §3's figures.
                ["ttft_mean_s"] = N(s.TtftMeanSeconds),
                ["ttft_p90_s"] = N(s.TtftP90Seconds),
                ["tbt_p50_s"] = N(s.TbtP50Seconds),
                ["stall_over_1s_share"] = N(s.StallOver1sShare),
                ["consumed_throughput_tps"] = N(s.ConsumedThroughputTps),
                ["qos"] = N(s.Qos),
                ["streaming_goodput"] = N(s.StreamingGoodput),
                ["makespan_s"] = N(s.MakespanSeconds),
                ["requests"] = s.Requests,
                ["completed_requests"] = s.CompletedRequests,
                ["tokens"] = s.Tokens,
                ["swap_preemptions"] = r.SwapPreemptions,
                ["recompute_preemptions"] = r.RecomputePreemptions,
                ["loads"] = r.Loads,
                ["recompute_tokens"] = r.RecomputedTokens,
                ["peak_device_kv_blocks"] = r.PeakDeviceBlocks,
                ["peak_device_kv_bytes"] = r.PeakDeviceKvBytes,
                ["iterations"] = r.Iterations,
                ["gpu_busy_s"] = N(r.BusySeconds),
                ["wall_s"] = N(r.WallSeconds),
                ["cpu_s"] = N(r.CpuSeconds),
                ["kv_returned_to_full"] = r.KvReturnedToFull,
                ["rejected_requests"] = r.RejectedRequests,
            });
        }
        var root = new JsonObject
        {
            ["scenario"] = h.Scenario,
            ["scenario_file"] = h.ScenarioPath,
            ["hardware"] = h.Hardware,
            ["model"] = h.Model,
            ["seed"] = h.Seed,
            ["requests"] = h.Requests,
            ["kv_mem_fraction"] = h.KvMemFraction,
            ["device_kv_blocks"] = h.Kv.DeviceBlocks,
            ["host_kv_blocks"] = h.Kv.HostBlocks,
            ["block_size"] = h.Kv.BlockSize,
            ["chunked_prefill"] = h.Engine.ChunkedPrefill,
            ["write_through"] = h.Engine.Kv.WriteThrough,
            ["offload"] = h.Engine.Kv.Offload,
            ["partial_reclamation"] = h.Engine.Kv.PartialReclamation,
            ["load_evict_overlap"] = h.Engine.Kv.LoadEvictOverlap,
            ["results"] = arr,
        };
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--json: cannot write {path}: {e.Message.Split('\n')[0]}");
        }
    }

    private static string Ablations(SimulateHeader h)
    {
        var off = new List<string>();
        if (!h.Engine.Kv.WriteThrough) off.Add("no write-through");
        if (!h.Engine.Kv.Offload) off.Add("no offload");
        if (!h.Engine.Kv.PartialReclamation) off.Add("no partial reclaim");
        if (!h.Engine.Kv.LoadEvictOverlap) off.Add("no load-evict overlap");
        return off.Count == 0 ? "" : " | " + string.Join(", ", off);
    }

    // JSON has no NaN: a figure that does not exist (no tokens at all) is null.
    private static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Bytes(long b) => b switch
    {
        >= 1_000_000_000 => (b / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (b / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => b.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
