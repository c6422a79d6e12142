using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Inference;
using TokenFlow.Inference.Engine;
using TokenFlow.Server;

namespace TokenFlow.Cli.Commands;

/// <summary>
/// <c>tokenflow bench overhead</c>: what HTTP and SSE cost. The same N concurrent greedy streams run
/// twice per round — stepped in-process on the engine, and through a real server on loopback read by
/// real HTTP clients — with the same model, policy, pools and limits. Prints tokens/s both ways.
/// </summary>
internal static class OverheadBenchmark
{
    private const int DeviceBlocks = 2048, HostBlocks = 4096;
    private const string Prompt = "Once upon a time";

    public static async Task<int> RunAsync(string modelPath, int streams, int maxTokens, int rounds, int? threads, CancellationToken ct)
    {
        using var model = LoadedModel.Load(modelPath);
        var prompt = model.Tokenizer.Encode(Prompt, addBos: true);
        if (prompt.Length + maxTokens > model.Config.ContextLength)
            throw new CliException($"--max-tokens {maxTokens} plus the {prompt.Length}-token prompt exceeds the model's context of {model.Config.ContextLength}");
        var options = new ServerOptions
        {
            Port = 0, ModelPath = modelPath, Policy = "fcfs", DeviceKvBlocks = DeviceBlocks, HostKvBlocks = HostBlocks, Threads = threads,
            MaxNumQueuedReqs = Math.Max(1024, streams),
        };
        await using var server = await TokenFlowServer.StartAsync(options, ct: ct);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/"), Timeout = TimeSpan.FromMinutes(10) };
        Console.WriteLine($"model {model.Name}, {streams} concurrent streams × {maxTokens} tokens, policy fcfs, {threads ?? Environment.ProcessorCount} threads, server {server.Url}");

        // One engine for every round, as the server has: both sides run on warm KV arenas and threads.
        var engineOptions = TokenFlowServer.EngineOptionsFor(options, DeviceBlocks, HostBlocks);
        using var engine = ModelEngineHost.Create(model, engineOptions, SchedulerFactory.Create(options.Policy, options.Scheduler), threads: threads);
        var submitted = 0;
        double InProcess()
        {
            var tokens0 = engine.Engine.Counters.GeneratedTokens;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < streams; i++)
                engine.Post(new Request($"r{submitted++}", prompt, maxTokens, 1e6, engine.Clock.Now) { IgnoreEos = true });
            engine.RunUntilIdle(ct);
            return (engine.Engine.Counters.GeneratedTokens - tokens0) / sw.Elapsed.TotalSeconds;
        }

        async Task<double> OverHttp()
        {
            var body = $$$"""{"prompt":"{{{Prompt}}}","max_tokens":{{{maxTokens}}},"ignore_eos":true,"temperature":0,"stream":true,"consumption_rate":1000000,"stream_options":{"include_usage":true}}""";
            var sw = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => StreamAsync(http, body, ct)));
            var elapsed = sw.Elapsed.TotalSeconds;
            if (counts.Any(c => c != maxTokens)) throw new CliException($"a stream returned {counts.First(c => c != maxTokens)} tokens instead of {maxTokens}");
            return counts.Sum() / elapsed;
        }

        InProcess();
        await OverHttp(); // warm-up: JIT, connections
        var direct = new List<double>();
        var viaHttp = new List<double>();
        var extraCpu = new List<double>();
        static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        for (var round = 0; round < rounds; round++)
        {
            var c0 = Cpu();
            direct.Add(InProcess());
            var c1 = Cpu();
            viaHttp.Add(await OverHttp());
            var c2 = Cpu();
            extraCpu.Add(((c2 - c1) - (c1 - c0)) / (streams * (double)maxTokens));
            Console.WriteLine($"round {round + 1}: in-process {direct[^1],8:N0} tok/s ({c1 - c0:0.00} cpu-s)   HTTP+SSE {viaHttp[^1],8:N0} tok/s ({c2 - c1:0.00} cpu-s)   ratio {viaHttp[^1] / direct[^1]:0.000}");
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        // Each round's two runs are seconds apart, so the per-round ratio is the figure least moved by a shared machine.
        var ratios = direct.Select((d, i) => viaHttp[i] / d).ToList();
        Console.WriteLine($"median: in-process {Median(direct):N0} tok/s, HTTP+SSE {Median(viaHttp):N0} tok/s; median per-round ratio {Median(ratios):0.000} (range {ratios.Min():0.000}–{ratios.Max():0.000}); "
            + $"HTTP adds a median {Median(extraCpu) * 1e6:0} µs of process CPU per token");
        return 0;
    }

    /// <summary>One streaming completion; returns the usage chunk's completion_tokens.</summary>
    private static async Task<int> StreamAsync(HttpClient http, string body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) throw new CliException($"server answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var tokens = -1;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal) || !line.Contains("\"usage\"", StringComparison.Ordinal)) continue;
            using var doc = JsonDocument.Parse(line.AsMemory(6));
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                tokens = usage.GetProperty("completion_tokens").GetInt32();
        }
        return tokens;
    }
}
