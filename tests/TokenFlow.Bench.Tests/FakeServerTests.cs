using System.Text.Json;
using TokenFlow.Bench.Client;
using TokenFlow.Bench.Fake;
using TokenFlow.Bench.Report;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;

namespace TokenFlow.Bench.Tests;

/// <summary>Short runs against the in-process fake server: a clean run's outputs, and faults counted per kind.</summary>
public sealed class FakeServerTests
{
    internal static BenchSettings Settings(string url, int n = 12, int output = 20, EndpointKind endpoint = EndpointKind.Completions) => new()
    {
        Client = new BenchClientOptions { BaseUrl = BenchClientOptions.ParseBaseUrl(url), Endpoint = endpoint, RequestTimeout = TimeSpan.FromSeconds(30) },
        Knobs = new VllmKnobs { NumPrompts = n, RequestRate = 200, RandomInputLen = 40, RandomOutputLen = output, ConsumptionRate = 50 },
        Seed = 1,
        Goodput = GoodputSlo.Parse(["ttft:5000", "tpot:1000"]),
    };

    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "tfbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    [Theory]
    [InlineData(EndpointKind.Completions)]
    [InlineData(EndpointKind.ChatCompletions)]
    public async Task CleanRunCompletesEveryRequestAndWritesJsonAndPlots(EndpointKind endpoint)
    {
        await using var server = FakeOpenAiServer.Start(new FakeServerOptions { TokenInterval = TimeSpan.FromMilliseconds(1), TokensPerWord = 2, PromptOverhead = 5 });
        var report = await BenchSession.RunAsync(Settings(server.Url, endpoint: endpoint));

        Assert.Equal(12, report.Vllm.Completed);
        Assert.Empty(report.Errors);
        Assert.All(report.Requests, r => Assert.Equal((true, 20), (r.Completed, r.OutputTokens)));
        Assert.Equal("fake-model", report.Config.Model);
        // Calibration measured the fake tokenizer (2 tokens/word + 5), so prompts land on the planned 40 tokens.
        Assert.Equal(2, report.Config.TokensPerWord, 6);
        Assert.All(report.Requests, r => Assert.InRange(r.PromptTokens!.Value, 39, 41));

        var dir = TempDir();
        var json = Path.Combine(dir, "run.json");
        BenchJson.Write(report, json);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var root = doc.RootElement;
            foreach (var key in new[] { "requests", "completed_requests", "tokens", "makespan_seconds", "effective_throughput_tps", "token_throughput_tps", "consumed_throughput_tps",
                         "ttft_mean_seconds", "ttft_p50_seconds", "ttft_p90_seconds", "ttft_p99_seconds", "tbt_p50_seconds", "tbt_p99_seconds",
                         "stall_mean_seconds", "stall_p99_seconds", "stall_over1s_share", "qos" })
                Assert.True(root.GetProperty("summary").TryGetProperty(key, out _), $"summary.{key}");
            foreach (var key in new[] { "completed", "failed", "total_input_tokens", "total_output_tokens", "duration", "request_throughput", "request_goodput", "output_throughput",
                         "total_token_throughput", "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms",
                         "mean_itl_ms", "median_itl_ms", "p99_itl_ms", "mean_e2el_ms", "median_e2el_ms", "p99_e2el_ms" })
                Assert.True(root.GetProperty("vllm").TryGetProperty(key, out _), $"vllm.{key}");
            Assert.True(root.GetProperty("overhead").TryGetProperty("cpu_micros_per_chunk", out _));
            Assert.Equal(JsonValueKind.Object, root.GetProperty("errors").ValueKind);
            Assert.Equal(JsonValueKind.Object, root.GetProperty("config").ValueKind);
            var req = root.GetProperty("requests")[0];
            foreach (var key in new[] { "id", "planned_arrival", "sent_at", "rate", "prompt_tokens", "output_tokens", "completed", "token_times", "ttft_seconds", "tpot_seconds", "e2el_seconds", "stall_seconds", "effective_tokens" })
                Assert.True(req.TryGetProperty(key, out _), $"requests[0].{key}");
            Assert.Equal(20, req.GetProperty("token_times").GetArrayLength());
        }
        // The JSON round-trips (bench compare reads it back).
        var back = BenchJson.Read(json);
        Assert.Equal(report.Summary, back.Summary);
        Assert.Equal(report.Requests[0].TokenTimes, back.Requests[0].TokenTimes);

        var plots = PlotWriter.WriteRun(report, Path.Combine(dir, "report"));
        Assert.Equal(4, plots.Count);
        foreach (var png in plots) Png.AssertValid(png);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task ServerErrorsMidRunAreCountedPerKind()
    {
        await using var server = FakeOpenAiServer.Start(new FakeServerOptions
        {
            Fault = i => i switch
            {
                2 or 5 => FakeFault.Http500,
                7 => FakeFault.BreakMidStream,
                9 => FakeFault.StreamErrorEvent,
                _ => FakeFault.None,
            },
        });
        var report = await BenchSession.RunAsync(Settings(server.Url));
        Assert.Equal(2, report.Errors[ErrorKinds.Http(500)]);
        Assert.Equal(1, report.Errors[ErrorKinds.BrokenStream]);
        Assert.Equal(1, report.Errors[ErrorKinds.StreamError]);
        Assert.Equal(8, report.Vllm.Completed);
        Assert.Equal(4, report.Vllm.Failed);
        Assert.Equal(8, report.Summary.CompletedRequests);
        Assert.Contains(report.Requests, r => r.ErrorMessage?.Contains("injected failure") == true);
        // A broken stream keeps the tokens it got, for the metrics.
        Assert.Contains(report.Requests, r => r.Error == ErrorKinds.BrokenStream && r.OutputTokens == 10);
    }

    [Fact]
    public async Task ServerThatStartsRefusingIsCountedNotFatal()
    {
        await using var server = FakeOpenAiServer.Start(new FakeServerOptions { Fault = i => i >= 6 ? FakeFault.RefuseFromHere : FakeFault.None });
        var settings = Settings(server.Url) with { Knobs = Settings(server.Url).Knobs with { RequestRate = 100 } };
        var report = await BenchSession.RunAsync(settings);
        Assert.Equal(6, report.Vllm.Completed);
        Assert.Equal(6, report.Vllm.Failed);
        // Whether a request sees a refused connect or a reset depends on whether it connected before the listener
        // closed, which is a race; each failure is counted once, under one of the connection kinds.
        Assert.Equal(6, report.Errors.Values.Sum());
        Assert.All(report.Errors.Keys, k => Assert.Contains(k, new[] { ErrorKinds.ConnectionRefused, ErrorKinds.ConnectionError, ErrorKinds.BrokenStream }));
    }

    [Fact]
    public async Task WrongUrlIsAOneLineErrorBeforeAnythingIsSent()
    {
        var port = UnusedPort();
        var e = await Assert.ThrowsAsync<BenchException>(() => BenchSession.RunAsync(Settings($"http://127.0.0.1:{port}")));
        Assert.StartsWith($"cannot reach http://127.0.0.1:{port}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var bad = Assert.Throws<BenchException>(() => BenchClientOptions.ParseBaseUrl("localhost:8000"));
        Assert.DoesNotContain('\n', bad.Message);
        // Reachable, but not an OpenAI server (404 on /v1/models and on the endpoint).
        await using var server = FakeOpenAiServer.Start();
        var notOpenAi = Settings(server.Url) with { Client = Settings(server.Url).Client with { BaseUrl = new Uri(server.Url + "/nothing/") } };
        var e2 = await Assert.ThrowsAsync<BenchException>(() => BenchSession.RunAsync(notOpenAi));
        Assert.Contains("404", e2.Message);
    }

    [Fact]
    public async Task CompareShowsRatiosAndPlotsRunsTogether()
    {
        await using var fast = FakeOpenAiServer.Start(new FakeServerOptions { TokenInterval = TimeSpan.FromMilliseconds(1) });
        await using var slow = FakeOpenAiServer.Start(new FakeServerOptions { TokenInterval = TimeSpan.FromMilliseconds(4) });
        var dir = TempDir();
        var a = Path.Combine(dir, "a.json");
        var b = Path.Combine(dir, "b.json");
        BenchJson.Write(await BenchSession.RunAsync(Settings(fast.Url, n: 6) with { Label = "fast" }), a);
        BenchJson.Write(await BenchSession.RunAsync(Settings(slow.Url, n: 6) with { Label = "slow" }), b);

        var reports = CompareReport.Load([a, b]);
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;
        CompareReport.WriteTable(console, reports);
        var output = text.ToString();
        Assert.Contains("fast", output);
        Assert.Contains("slow", output);
        Assert.Contains("×", output);
        Assert.Equal(2.0, CompareReport.Ratio(2, 1));
        Assert.True(double.IsNaN(CompareReport.Ratio(1, 0)));
        foreach (var png in CompareReport.WritePlots(reports, Path.Combine(dir, "cmp"))) Png.AssertValid(png);
        Assert.Throws<BenchException>(() => CompareReport.Load([a]));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task RefusedConnectIsClassifiedAsRefused()
    {
        // A real refused connect, classified as the sender classifies it.
        var port = UnusedPort();
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/"));
        Assert.Equal(ErrorKinds.ConnectionRefused, ErrorKinds.OfSend(e));
        Assert.Equal(ErrorKinds.ConnectionError, ErrorKinds.OfSend(new HttpRequestException("reset", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset))));
        Assert.Equal(ErrorKinds.ConnectionError, ErrorKinds.OfSend(new IOException("eof")));
    }

    /// <summary>A loopback port nobody listens on: bind one, then free it.</summary>
    private static int UnusedPort()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
