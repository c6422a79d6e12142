using System.Diagnostics;
using System.Net;
using TokenFlow.Bench.Client;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;
using TokenFlow.Core.Metrics;
using TokenFlow.Workloads;

namespace TokenFlow.Bench;

/// <summary>
/// One bench run end to end: check the server, pick the model, size the prompts, plan the arrivals,
/// stream every request, and analyse. Bad input or an unreachable server throw <see cref="BenchException"/>
/// before anything is sent; failures during the run are counted in the report.
/// </summary>
public static class BenchSession
{
    /// <summary>An HttpClient for many long streams to one server: no proxy, no connection cap, no global timeout.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        MaxConnectionsPerServer = int.MaxValue,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The scenario the settings describe (file plus vLLM knobs), validated.</summary>
    public static (Scenario Scenario, int Seed) ResolveScenario(BenchSettings s)
    {
        Scenario? file = null;
        if (s.ScenarioPath is not null)
        {
            try { file = ScenarioLoader.Load(s.ScenarioPath); }
            catch (WorkloadException e) { throw new BenchException(e.Message); }
        }
        var scenario = BenchPlanner.Compose(file, s.Knobs);
        return (scenario, s.Seed ?? file?.Seed ?? 0);
    }

    public static async Task<BenchReport> RunAsync(BenchSettings s, IBenchObserver? observer = null, Action<string>? log = null, CancellationToken ct = default)
    {
        if (s.Duration is { } d && !(d > 0)) throw new BenchException($"--duration must be positive (got {d})");
        if (s.MaxConcurrency is < 1) throw new BenchException($"--max-concurrency must be ≥ 1 (got {s.MaxConcurrency})");
        if (s.TokensPerWord is { } tpw && !(tpw > 0 && double.IsFinite(tpw))) throw new BenchException($"--tokens-per-word must be positive (got {tpw})");
        var (scenario, seed) = ResolveScenario(s);
        var plan = BenchPlanner.Plan(scenario, s.Knobs, seed, s.Duration);
        if (plan.Count == 0) throw new BenchException("the workload plans no requests (check --duration and the scenario's arrivals)");
        var dataset = s.DatasetPath is null ? null : PromptFactory.LoadDataset(s.DatasetPath);

        using var http = CreateHttpClient();
        var probe = new ServerProbe(http, s.Client);
        var model = await probe.ResolveModelAsync(ct);
        var warnings = new List<string>();
        var prompts = new PromptFactory(seed, dataset);
        if (s.TokensPerWord is { } fixedRatio) prompts.Calibration = new PromptCalibration(fixedRatio, 0, false);
        else if (dataset is null)
        {
            var (cal, warning) = await probe.CalibrateAsync(model, ct);
            prompts.Calibration = cal;
            if (warning is not null) { warnings.Add(warning); log?.Invoke("warning: " + warning); }
        }
        var specs = plan.Select((p, i) => new BenchRequestSpec(p.Id, p.ArrivalTime, prompts.Build(i, p.PromptLength), p.PromptLength, p.OutputLength, p.Rate)).ToArray();
        log?.Invoke($"bench: {specs.Length} requests over {plan[^1].ArrivalTime:0.##} s to {s.Client.BaseUrl}{s.Client.Endpoint.Path()}, model '{model}', "
            + (dataset is null ? $"prompts at {prompts.Calibration.TokensPerWord:0.##} tokens/word{(prompts.Calibration.Measured ? " (measured)" : "")}" : $"{dataset.Count} dataset prompts"));

        var clock = new BenchClock();
        var progress = new BenchProgress { Planned = specs.Length };
        var sender = new RequestSender(http, s.Client, model, clock, progress);
        var runner = new BenchRunner(sender, clock, s.MaxConcurrency);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var started = DateTimeOffset.UtcNow;
        var run = runner.RunAsync(specs, ct);
        if (observer is not null) await observer.WatchAsync(progress, clock, run, ct);
        var records = await run;
        var duration = clock.Now;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        var lags = Percentiles.Sorted(runner.DispatchLags.Select(l => l * 1000));
        var chunks = records.Sum(r => (long)r.Chunks);
        var overhead = new BenchOverhead
        {
            DispatchLagMeanMs = lags.Length == 0 ? 0 : lags.Average(),
            DispatchLagP99Ms = lags.Length == 0 ? 0 : Percentiles.Of(lags, 99),
            DispatchLagMaxMs = lags.Length == 0 ? 0 : lags[^1],
            CpuSeconds = cpu,
            CpuMicrosPerChunk = chunks == 0 ? 0 : cpu * 1e6 / chunks,
            PeakConcurrentStreams = runner.PeakConcurrentStreams,
        };
        var config = new BenchConfig
        {
            Label = s.Label ?? $"{model}@{s.Client.BaseUrl.Authority}",
            Url = s.Client.BaseUrl.ToString().TrimEnd('/'),
            Endpoint = "/" + s.Client.Endpoint.Path(),
            Model = model,
            Scenario = s.ScenarioPath is null ? scenario.Name : Path.GetFileName(s.ScenarioPath),
            Dataset = s.DatasetPath,
            Seed = seed,
            NumPrompts = s.Knobs.NumPrompts,
            RequestRate = s.Knobs.RequestRate,
            Burstiness = s.Knobs.Burstiness,
            MaxConcurrency = s.MaxConcurrency,
            DurationLimit = s.Duration,
            Goodput = s.Goodput?.ToString(),
            VllmExtensions = s.Client.VllmExtensions,
            EffectiveFullWeightFraction = s.Metrics.FullWeightBufferFraction,
            EffectiveZeroWeightFraction = s.Metrics.ZeroWeightBufferFraction,
            TokensPerWord = prompts.Calibration.TokensPerWord,
            PromptOverheadTokens = prompts.Calibration.Overhead,
            CalibrationMeasured = prompts.Calibration.Measured,
            StartedUtc = started,
        };
        return BenchAnalysis.Build(config, records, duration, s.Metrics, s.Goodput, overhead, warnings);
    }
}
