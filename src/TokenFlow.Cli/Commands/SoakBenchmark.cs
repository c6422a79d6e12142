using System.Diagnostics;
using System.Globalization;
using System.Text;
using TokenFlow.Server;

namespace TokenFlow.Cli.Commands;

/// <summary>
/// <c>tokenflow bench soak</c>: waves of bursty streams against an in-process server on loopback,
/// with random disconnects and slow readers, for a set time. After each wave it waits for the engine
/// to go idle and prints the KV blocks still in use (should be 0) and the process RSS; each minute
/// it prints the p99 TTFT; at the end, errors by kind. Targets: flat RSS, 0 leaked blocks, 0 5xx.
/// </summary>
internal static class SoakBenchmark
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "One day, a girl named Lily", "Tom had a big red ball and"];

    private enum Behaviour { Reader, SlowReader, Disconnect }

    private sealed record Outcome(double Start, Behaviour Behaviour, string Kind, double? Ttft);

    public static async Task<int> RunAsync(string modelPath, double minutes, int waveStreams, string policy, int seed, int? threads, CancellationToken ct)
    {
        var options = new ServerOptions
        {
            Port = 0, ModelPath = modelPath, Policy = policy, DeviceKvBlocks = 192, HostKvBlocks = 2048, Threads = threads,
            MaxNumQueuedReqs = waveStreams * 2, QueueTimeout = TimeSpan.FromSeconds(30), TransferBandwidth = 2e8,
        };
        await using var server = await TokenFlowServer.StartAsync(options, ct: ct);
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(server.Url + "/"), Timeout = TimeSpan.FromMinutes(5) };
        var kv = server.Engine.Kv;
        Console.WriteLine($"soak: {minutes:0.##} min, waves of ~{waveStreams} streams (bursts of 0.5x-1.5x), policy {policy}, " +
            $"KV {kv.Device.Total} device + {kv.Host.Total} host blocks, server {server.Url}, seed {seed}");
        Console.WriteLine("each stream: 60% reader (rate 5-60 tok/s declared), 20% slow reader (2 KB socket reads, 50-300 ms apart), 20% disconnects after 0.05-2 s");

        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromMinutes(minutes);
        var outcomes = new List<Outcome>();
        var rss = new List<(double T, double Mb)>();
        var maxDeviceLeft = 0;
        var maxHostLeft = 0;
        var minuteReported = 0;
        for (var wave = 1; clock.Elapsed < deadline && !ct.IsCancellationRequested; wave++)
        {
            var n = Math.Max(1, (int)(waveStreams * (0.5 + rng.NextDouble())));
            var specs = Enumerable.Range(0, n).Select(_ => (Behaviour: Pick(rng), Prompt: Prompts[rng.Next(Prompts.Length)], MaxTokens: rng.Next(16, 400),
                Rate: 5 + rng.Next(56), SlowMs: rng.Next(50, 300), CutAfter: 0.05 + rng.NextDouble() * 1.95, Seed: rng.Next())).ToList();
            var tasks = specs.Select(s => OneStreamAsync(http, clock, s.Behaviour, s.Prompt, s.MaxTokens, s.Rate, s.SlowMs, s.CutAfter, ct)).ToList();
            var results = await Task.WhenAll(tasks);
            outcomes.AddRange(results);

            // Idle: every stream is gone; copies land; then the blocks still in use are leaks.
            var (device, host) = await SettleAsync(server, ct);
            maxDeviceLeft = Math.Max(maxDeviceLeft, device);
            maxHostLeft = Math.Max(maxHostLeft, host);
            var mb = RssMb();
            rss.Add((clock.Elapsed.TotalSeconds, mb));
            var kinds = results.GroupBy(r => r.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine(Invariant($"wave {wave,3} t={clock.Elapsed.TotalSeconds,6:0}s: {n,3} streams [{string.Join(", ", kinds)}]; blocks in use after: {device} device, {host} host; RSS {mb:0} MB"));

            while ((minuteReported + 1) * 60 <= clock.Elapsed.TotalSeconds)
            {
                MinuteLine(outcomes, minuteReported, rss);
                minuteReported++;
            }
            await Task.Delay(rng.Next(0, 1500), ct); // a gap between bursts
        }
        if (outcomes.Any(o => o.Start >= minuteReported * 60)) MinuteLine(outcomes, minuteReported, rss); // the last, partial minute

        var errors = outcomes.Where(o => o.Kind is not ("done" or "disconnected")).GroupBy(o => o.Kind).OrderBy(g => g.Key).ToList();
        var fiveXx = outcomes.Count(o => o.Kind.StartsWith("http_5", StringComparison.Ordinal));
        Console.WriteLine(Invariant($"total: {outcomes.Count} streams in {clock.Elapsed.TotalMinutes:0.0} min; done {outcomes.Count(o => o.Kind == "done")}, disconnected by the client {outcomes.Count(o => o.Kind == "disconnected")}"));
        Console.WriteLine($"errors by kind: {(errors.Count == 0 ? "none" : string.Join(", ", errors.Select(g => $"{g.Key} {g.Count()}")))}; 5xx: {fiveXx}");
        Console.WriteLine(Invariant($"RSS: first wave {rss.First().Mb:0} MB, last {rss.Last().Mb:0} MB, max {rss.Max(r => r.Mb):0} MB; most KV blocks left after a wave: {maxDeviceLeft} device, {maxHostLeft} host"));
        Console.WriteLine(Invariant($"engine: {server.Engine.Counters.SwapPreemptions} offloads, {server.Engine.Counters.RecomputePreemptions} recomputes, {server.Engine.Counters.AbortedRequests} aborted, faults {server.Runner.EngineFaults}"));
        return 0;
    }

    private static Behaviour Pick(Random rng) => rng.Next(10) switch { < 6 => Behaviour.Reader, < 8 => Behaviour.SlowReader, _ => Behaviour.Disconnect };

    private static void MinuteLine(List<Outcome> outcomes, int minute, List<(double T, double Mb)> rss)
    {
        var ttft = outcomes.Where(o => o.Start >= minute * 60 && o.Start < (minute + 1) * 60 && o.Ttft is not null).Select(o => o.Ttft!.Value).Order().ToList();
        var p99 = ttft.Count == 0 ? double.NaN : ttft[Math.Min(ttft.Count - 1, (int)Math.Ceiling(0.99 * ttft.Count) - 1)];
        var p50 = ttft.Count == 0 ? double.NaN : ttft[ttft.Count / 2];
        var mem = rss.Where(r => r.T < (minute + 1) * 60).Select(r => r.Mb).DefaultIfEmpty(double.NaN).Last();
        Console.WriteLine(Invariant($"minute {minute + 1}: TTFT p50 {p50 * 1000:0} ms, p99 {p99 * 1000:0} ms over {ttft.Count} streams; RSS {mem:0} MB"));
    }

    private static async Task<(int Device, int Host)> SettleAsync(ServerHandle server, CancellationToken ct)
    {
        var kv = server.Engine.Kv;
        var until = Stopwatch.StartNew();
        // Read from this thread for monitoring only: the counts are ints the engine thread updates.
        while (until.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (server.Runner.LiveCount == 0 && kv.Device.UsedCount == 0 && kv.Host.UsedCount == 0) break;
            await Task.Delay(20, ct);
        }
        return (kv.Device.UsedCount, kv.Host.UsedCount);
    }

    private static double RssMb()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64 / (1024.0 * 1024);
    }

    private static async Task<Outcome> OneStreamAsync(HttpClient http, Stopwatch clock, Behaviour behaviour, string prompt, int maxTokens, int rate, int slowMs, double cutAfter, CancellationToken ct)
    {
        var start = clock.Elapsed.TotalSeconds;
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (behaviour == Behaviour.Disconnect) cut.CancelAfter(TimeSpan.FromSeconds(cutAfter));
        double? ttft = null;
        try
        {
            var body = $$"""{"prompt":"{{prompt}}","max_tokens":{{maxTokens}},"stream":true,"consumption_rate":{{rate}}}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cut.Token);
            if (!response.IsSuccessStatusCode) return new Outcome(start, behaviour, $"http_{(int)response.StatusCode}", null);
            await using var stream = await response.Content.ReadAsStreamAsync(cut.Token);
            var buffer = new byte[behaviour == Behaviour.SlowReader ? 2048 : 16384];
            var text = new StringBuilder();
            int read;
            while ((read = await stream.ReadAsync(buffer, cut.Token)) > 0)
            {
                ttft ??= clock.Elapsed.TotalSeconds - start;
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                if (text.Length > 4096) text.Remove(0, text.Length - 256); // only the tail matters
                if (behaviour == Behaviour.SlowReader) await Task.Delay(slowMs, cut.Token);
            }
            var tail = text.ToString();
            var kind = tail.Contains("data: [DONE]", StringComparison.Ordinal) ? "done"
                : tail.Contains("\"error\"", StringComparison.Ordinal) ? "stream_error_event"
                : "stream_cut";
            return new Outcome(start, behaviour, kind, ttft);
        }
        catch (OperationCanceledException) when (behaviour == Behaviour.Disconnect && !ct.IsCancellationRequested)
        {
            return new Outcome(start, behaviour, "disconnected", ttft);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return new Outcome(start, behaviour, "exception_" + e.GetType().Name, ttft);
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
