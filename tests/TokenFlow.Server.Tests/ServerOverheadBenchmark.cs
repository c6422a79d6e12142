using System.Diagnostics;
using System.Text.Json;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;
using Xunit.Abstractions;

namespace TokenFlow.Server.Tests;

/// <summary>
/// HTTP+SSE overhead: 32 concurrent stories260K streams through the server against the same 32
/// requests stepped in-process. Runs only with TOKENFLOW_BENCH=1 (use -c Release); prints tokens/s both ways.
/// </summary>
public sealed class ServerOverheadBenchmark(ITestOutputHelper output)
{
    private const int Streams = 32, MaxTokens = 256, Rounds = 3;

    [BenchmarkFact]
    public async Task HttpVersusInProcess()
    {
        var options = TestModel.Options(o => o with { DeviceKvBlocks = 2048, HostKvBlocks = 4096, Policy = "fcfs" });
        using var model = TestModel.LoadRaw();
        var prompt = model.Tokenizer.Encode("Once upon a time", addBos: true);

        double InProcess()
        {
            using var ex = model.CreateExecutor(2048, 4096, 16, options.Threads);
            using var clock = new SystemClock();
            using var transfers = new ThreadedTransferEngine(clock, ex);
            var engine = new LlmEngine(new EngineOptions { Kv = new KvCacheOptions { DeviceBlocks = 2048, HostBlocks = 4096 } }, clock, ex, transfers, SchedulerFactory.Create("fcfs"));
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < Streams; i++)
                engine.Submit(new Request($"r{i}", prompt, MaxTokens, 1e6, clock.Now) { IgnoreEos = true });
            while (engine.HasWork) if (!engine.Step()) clock.SleepUntil(Math.Min(engine.NextEventTime, clock.Now + 0.001));
            return engine.Counters.GeneratedTokens / sw.Elapsed.TotalSeconds;
        }

        await using var server = await TestModel.StartAsync(options);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        async Task<double> OverHttp()
        {
            var sw = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
            {
                var body = $$$"""{"prompt":"Once upon a time","max_tokens":{{{MaxTokens}}},"ignore_eos":true,"stream":true,"consumption_rate":1000000,"stream_options":{"include_usage":true}}""";
                using var r = await http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
                var events = await Sse.ReadAllAsync(r);
                using var usage = JsonDocument.Parse(events[^2]);
                return usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
            }));
            Assert.All(counts, c => Assert.Equal(MaxTokens, c));
            return counts.Sum() / sw.Elapsed.TotalSeconds;
        }

        InProcess(); await OverHttp(); // warm-up (JIT, connections)
        var direct = new List<double>(); var viaHttp = new List<double>();
        for (var round = 0; round < Rounds; round++) { direct.Add(InProcess()); viaHttp.Add(await OverHttp()); }
        var d = direct.Max(); var h = viaHttp.Max();
        output.WriteLine($"in-process: {string.Join(", ", direct.Select(x => x.ToString("0")))} tok/s; HTTP+SSE: {string.Join(", ", viaHttp.Select(x => x.ToString("0")))} tok/s; best ratio {h / d:0.000}");
        Console.WriteLine($"BENCH in-process best {d:0} tok/s, HTTP+SSE best {h:0} tok/s, ratio {h / d:0.000}");
    }
}

/// <summary>A benchmark, not a test: reported as skipped unless TOKENFLOW_BENCH=1.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TOKENFLOW_BENCH") != "1") Skip = "benchmark; run with TOKENFLOW_BENCH=1 -c Release";
    }
}
