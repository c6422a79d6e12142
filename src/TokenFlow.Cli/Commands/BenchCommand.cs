using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TokenFlow.Bench;
using TokenFlow.Bench.Client;
using TokenFlow.Bench.Fake;
using TokenFlow.Bench.Report;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;
using TokenFlow.Core.Metrics;

namespace TokenFlow.Cli.Commands;

/// <summary>
/// <c>tokenflow bench</c>: the load generator (any OpenAI-compatible server), plus <c>bench compare</c> and
/// <c>bench fake-server</c> (an instant streaming server for measuring the bench itself). Docs: docs/bench.md.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Server base URL, e.g. http://127.0.0.1:8000 (a trailing /v1 is fine)" };
        var scenario = new Option<string?>("--scenario") { Description = "Scenario file (JSON, as for simulate); without one, vLLM's random workload (--num-prompts, --random-*-len)" };
        var model = new Option<string?>("--model") { Description = "Model name to request (default: the first id of GET /v1/models)" };
        var duration = new Option<double?>("--duration") { Description = "Send only the requests that arrive within this many seconds (those sent are awaited)" };
        var json = new Option<string?>("--json") { Description = "Write every metric and the per-request traces to this JSON file" };
        var report = new Option<string?>("--report") { Description = "Write PNG plots to this folder" };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer token (default: $OPENAI_API_KEY if set)" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the arrival plan and prompts (default: the scenario's, else 0)" };
        var dataset = new Option<string?>("--dataset") { Description = "JSONL file of prompts ({\"prompt\": ...} per line), used in turn instead of word-list prompts" };
        var endpoint = new Option<string>("--endpoint") { Description = "completions (/v1/completions) or chat (/v1/chat/completions)", DefaultValueFactory = _ => "completions" };
        var numPrompts = new Option<int?>("--num-prompts") { Description = "Number of requests (vLLM; default 1000 without a scenario, else the scenario's count)" };
        var requestRate = new Option<string?>("--request-rate") { Description = "Requests/s, or inf for all at once (vLLM; overrides the scenario's arrivals; default inf without a scenario)" };
        var burstiness = new Option<double?>("--burstiness") { Description = "Gamma shape of the arrival gaps: 1 is Poisson, < 1 burstier (vLLM)" };
        var maxConcurrency = new Option<int?>("--max-concurrency") { Description = "At most this many requests in flight (vLLM); TTFT counts from the actual send" };
        var inputLen = new Option<int?>("--random-input-len") { Description = "Prompt length in tokens (vLLM; default 1024 without a scenario)" };
        var outputLen = new Option<int?>("--random-output-len") { Description = "Output length in tokens (vLLM; default 128 without a scenario)" };
        var rangeRatio = new Option<double?>("--random-range-ratio") { Description = "Lengths uniform in len·[1−r, 1+r] (vLLM)" };
        var goodput = new Option<string[]>("--goodput") { Description = "SLOs in ms for goodput, vLLM's syntax: --goodput ttft:500 tpot:50 [e2el:MS]", AllowMultipleArgumentsPerToken = true };
        var rate = new Option<double?>("--consumption-rate") { Description = "Reader rate for every request, tokens/s (default: the scenario's; 20 without one)" };
        var label = new Option<string?>("--label") { Description = "Name of this run in tables and compare plots (default: model@host)" };
        var timeout = new Option<double>("--request-timeout") { Description = "Seconds after which a request is cut and counted as a timeout", DefaultValueFactory = _ => 600 };
        var noExt = new Option<bool>("--no-vllm-extensions") { Description = "Do not send ignore_eos and min_tokens (for servers that reject unknown fields)" };
        var noRate = new Option<bool>("--no-consumption-rate") { Description = "Do not send the consumption_rate field" };
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature to send (default: the server's)" };
        var tokensPerWord = new Option<double?>("--tokens-per-word") { Description = "Skip prompt calibration: assume this many tokens per prompt word" };
        var fullFraction = new Option<double>("--effective-full") { Description = "Effective throughput: tokens weigh 1 up to this buffer fraction of L (design §3)", DefaultValueFactory = _ => 0.1 };
        var goodTtft = new Option<double>("--streaming-goodput-ttft") { Description = "Streaming goodput: most TTFT (s) of a good request (design §3)", DefaultValueFactory = _ => 2 };
        var goodStall = new Option<double>("--streaming-goodput-stall") { Description = "Streaming goodput: most total stall (s) of a good request", DefaultValueFactory = _ => 1 };
        var zeroFraction = new Option<double>("--effective-zero") { Description = "Effective throughput: tokens weigh 0 from this buffer fraction of L", DefaultValueFactory = _ => 0.2 };
        var noLive = new Option<bool>("--no-live") { Description = "No live progress display, even on a terminal" };
        var datasetName = new Option<string?>("--dataset-name") { Description = "vLLM's dataset name: random (the default workload) or custom (prompts from --dataset FILE)" };
        var saveResult = new Option<bool>("--save-result") { Description = "vLLM's: write the results as JSON (to --json FILE, else tokenflow-bench-<UTC time>.json)" };
        url.Aliases.Add("--base-url");

        var cmd = new Command("bench", "Load-generate against any OpenAI-compatible server and measure TTFT, stalls, effective throughput and vLLM's metrics");
        foreach (var o in new Option[] { url, scenario, model, duration, json, report, apiKey, seed, dataset, endpoint, numPrompts, requestRate, burstiness, maxConcurrency,
                     inputLen, outputLen, rangeRatio, goodput, rate, label, timeout, noExt, noRate, temperature, tokensPerWord, fullFraction, zeroFraction, goodTtft, goodStall, noLive, datasetName, saveResult })
            cmd.Options.Add(o);
        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            try
            {
                var target = parse.GetValue(url) ?? throw new CliException("--url (or --base-url) is required (e.g. --url http://127.0.0.1:8000)");
                switch (parse.GetValue(datasetName)?.ToLowerInvariant())
                {
                    case null or "random": break;
                    case "custom" when parse.GetValue(dataset) is not null: break;
                    case "custom": throw new CliException("--dataset-name custom needs --dataset FILE (JSONL of {\"prompt\": ...})");
                    case var n: throw new CliException($"--dataset-name '{n}' is not supported: use random, or custom with --dataset FILE");
                }
                var jsonPath = parse.GetValue(json) ?? (parse.GetValue(saveResult) ? $"tokenflow-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json" : null);
                if (parse.GetValue(timeout) is var t && !(t > 0)) throw new CliException($"--request-timeout must be positive (got {t})");
                var settings = new BenchSettings
                {
                    Client = new BenchClientOptions
                    {
                        BaseUrl = BenchClientOptions.ParseBaseUrl(target),
                        Model = parse.GetValue(model),
                        ApiKey = parse.GetValue(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable("OPENAI_API_KEY")),
                        Endpoint = EndpointKinds.Parse(parse.GetValue(endpoint)!),
                        VllmExtensions = !parse.GetValue(noExt),
                        SendConsumptionRate = !parse.GetValue(noRate),
                        Temperature = parse.GetValue(temperature),
                        RequestTimeout = TimeSpan.FromSeconds(t),
                    },
                    ScenarioPath = parse.GetValue(scenario),
                    Knobs = new VllmKnobs
                    {
                        NumPrompts = parse.GetValue(numPrompts),
                        RequestRate = ParseRate(parse.GetValue(requestRate)),
                        Burstiness = parse.GetValue(burstiness),
                        RandomInputLen = parse.GetValue(inputLen),
                        RandomOutputLen = parse.GetValue(outputLen),
                        RandomRangeRatio = parse.GetValue(rangeRatio),
                        ConsumptionRate = parse.GetValue(rate),
                    },
                    Seed = parse.GetValue(seed),
                    Duration = parse.GetValue(duration),
                    MaxConcurrency = parse.GetValue(maxConcurrency),
                    DatasetPath = parse.GetValue(dataset),
                    Goodput = GoodputSlo.Parse(parse.GetValue(goodput)),
                    Metrics = Metrics(parse.GetValue(fullFraction), parse.GetValue(zeroFraction), parse.GetValue(goodTtft), parse.GetValue(goodStall)),
                    TokensPerWord = parse.GetValue(tokensPerWord),
                    Label = parse.GetValue(label),
                };
                return await Run(settings, jsonPath, parse.GetValue(report), parse.GetValue(noLive), ct);
            }
            catch (BenchException e) { throw new CliException(e.Message); }
        }));
        cmd.Subcommands.Add(CompareCommand());
        cmd.Subcommands.Add(FakeServerCommand());
        cmd.Subcommands.Add(OverheadCommand());
        cmd.Subcommands.Add(SoakCommand());
        return cmd;
    }

    private static async Task<int> Run(BenchSettings settings, string? jsonPath, string? reportDir, bool noLive, CancellationToken ct)
    {
        var stdout = AnsiConsole.Console;
        var live = !noLive && !Console.IsOutputRedirected && stdout.Profile.Capabilities.Interactive;
        var report = await BenchSession.RunAsync(settings, live ? new LiveProgressDisplay(stdout) : null, line => Console.Error.WriteLine(line), ct);
        ResultTable.Write(stdout, report);
        if (jsonPath is not null)
        {
            BenchJson.Write(report, jsonPath);
            Console.Error.WriteLine($"wrote {jsonPath}");
        }
        if (reportDir is not null)
            foreach (var png in PlotWriter.WriteRun(report, reportDir)) Console.Error.WriteLine($"wrote {png}");
        // Failed requests are results, not a bench failure: exit 0 with the errors reported.
        return 0;
    }

    private static Command CompareCommand()
    {
        var files = new Argument<string[]>("files") { Description = "Two or more result files written by bench --json; ratios are against the first", Arity = ArgumentArity.OneOrMore };
        var report = new Option<string?>("--report") { Description = "Write joint PNG plots to this folder" };
        var cmd = new Command("compare", "Print bench runs side by side with ratios against the first, and optionally plot them together");
        cmd.Arguments.Add(files);
        cmd.Options.Add(report);
        cmd.SetAction(parse => CliErrors.Guard(() =>
        {
            try
            {
                var reports = CompareReport.Load(parse.GetValue(files) ?? []);
                CompareReport.WriteTable(AnsiConsole.Console, reports);
                if (parse.GetValue(report) is { } dir)
                    foreach (var png in CompareReport.WritePlots(reports, dir)) Console.Error.WriteLine($"wrote {png}");
                return 0;
            }
            catch (BenchException e) { throw new CliException(e.Message); }
        }));
        return cmd;
    }

    private static Command OverheadCommand()
    {
        var model = new Option<string?>("--model") { Description = "Model file (default: stories260K)" };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams", DefaultValueFactory = _ => 32 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per stream", DefaultValueFactory = _ => 256 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds (after one warm-up)", DefaultValueFactory = _ => 5 };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)" };
        var cmd = new Command("overhead", "Tokens/s of the same concurrent streams in-process and through the HTTP+SSE server on loopback") { model, streams, maxTokens, rounds, threads };
        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            if (parse.GetValue(streams) < 1) throw new CliException("--streams must be at least 1");
            if (parse.GetValue(maxTokens) < 1) throw new CliException("--max-tokens must be at least 1");
            if (parse.GetValue(rounds) < 1) throw new CliException("--rounds must be at least 1");
            if (parse.GetValue(threads) is < 1) throw new CliException("--threads must be at least 1");
            return await OverheadBenchmark.RunAsync(ModelPaths.ResolveModel(parse.GetValue(model)), parse.GetValue(streams), parse.GetValue(maxTokens),
                parse.GetValue(rounds), parse.GetValue(threads), ct);
        }));
        return cmd;
    }

    private static Command SoakCommand()
    {
        var model = new Option<string?>("--model") { Description = "Model file (default: stories260K)" };
        var minutes = new Option<double>("--minutes") { Description = "How long to run", DefaultValueFactory = _ => 10 };
        var wave = new Option<int>("--wave-streams") { Description = "Mean streams per burst (each burst is 0.5x-1.5x this)", DefaultValueFactory = _ => 48 };
        var policy = new Option<string>("--policy") { Description = "Scheduling policy of the server", DefaultValueFactory = _ => "tokenflow" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random waves", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)" };
        var cmd = new Command("soak", "Waves of bursty streams with random disconnects and slow readers against an in-process server: RSS, leaked blocks, p99 TTFT per minute, errors by kind") { model, minutes, wave, policy, seed, threads };
        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            if (!(parse.GetValue(minutes) > 0) || !double.IsFinite(parse.GetValue(minutes))) throw new CliException("--minutes must be a positive number");
            if (parse.GetValue(wave) < 1) throw new CliException("--wave-streams must be at least 1");
            if (parse.GetValue(threads) is < 1) throw new CliException("--threads must be at least 1");
            return await SoakBenchmark.RunAsync(ModelPaths.ResolveModel(parse.GetValue(model)), parse.GetValue(minutes), parse.GetValue(wave),
                parse.GetValue(policy)!, parse.GetValue(seed), parse.GetValue(threads), ct);
        }));
        return cmd;
    }

    private static Command FakeServerCommand()
    {
        var interval = new Option<double>("--token-interval-ms") { Description = "Gap between streamed tokens (0: as fast as the socket takes them)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("fake-server", "Serve an instant OpenAI-compatible SSE stream (no model) to measure the bench's own overhead") { Hidden = false };
        cmd.Options.Add(interval);
        cmd.SetAction(async (parse, ct) =>
        {
            await using var server = FakeOpenAiServer.Start(new FakeServerOptions { TokenInterval = TimeSpan.FromMilliseconds(parse.GetValue(interval)) });
            Console.WriteLine(server.Url);
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            return 0;
        });
        return cmd;
    }

    private static MetricsOptions Metrics(double full, double zero, double goodTtft, double goodStall)
    {
        if (!(full >= 0 && zero > full)) throw new CliException($"--effective-full and --effective-zero must satisfy 0 ≤ full < zero (got {full}, {zero})");
        if (!(goodTtft >= 0) || double.IsInfinity(goodTtft)) throw new CliException($"--streaming-goodput-ttft: must be a non-negative number (got {goodTtft})");
        if (!(goodStall >= 0) || double.IsInfinity(goodStall)) throw new CliException($"--streaming-goodput-stall: must be a non-negative number (got {goodStall})");
        return new MetricsOptions { FullWeightBufferFraction = full, ZeroWeightBufferFraction = zero, GoodputTtftSeconds = goodTtft, GoodputStallSeconds = goodStall };
    }

    private static double? ParseRate(string? s)
    {
        if (s is null) return null;
        if (s.Trim().Equals("inf", StringComparison.OrdinalIgnoreCase) || s.Trim().Equals("infinity", StringComparison.OrdinalIgnoreCase)) return double.PositiveInfinity;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0) return r;
        throw new CliException($"--request-rate must be a positive number or inf (got '{s}')");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
