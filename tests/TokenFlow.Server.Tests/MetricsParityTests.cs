using System.Globalization;
using System.Net;
using TokenFlow.Core.Requests;

namespace TokenFlow.Server.Tests;

/// <summary>vLLM's metrics exist and move when they should; a stop-string end counts as "stop"; HTTP statuses are counted.</summary>
[Collection("server")]
public sealed class MetricsParityTests(ServerFixture fx)
{
    private HttpClient Http => fx.Http;

    /// <summary>Sum of the samples of <paramref name="name"/> whose labels contain every fragment.</summary>
    internal static double Value(string text, string name, params string[] labels)
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' ')) continue;
            if (!labels.All(l => line.Contains(l, StringComparison.Ordinal))) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }

    private Task<string> ScrapeAsync() => Http.GetStringAsync("metrics");

    /// <summary>Finishes are counted on the engine thread, possibly just after the response: poll briefly.</summary>
    private async Task<string> ScrapeUntilAsync(Func<string, bool> done)
    {
        var text = await ScrapeAsync();
        for (var i = 0; i < 100 && !done(text); i++) { await Task.Delay(50); text = await ScrapeAsync(); }
        return text;
    }

    /// <summary>
    /// The race the HTTP test can only hit by chance: the engine ends the request (max_tokens) before
    /// its handler has read far enough to see the stop string. The client saw "stop", so it counts as stop.
    /// </summary>
    [Fact]
    public async Task StopStringSeenAfterTheEngineEndedStillCountsAsStop()
    {
        var before = await ScrapeAsync();
        var stop0 = Value(before, "tokenflow_requests_finished_total", "reason=\"stop\"");
        var length0 = Value(before, "tokenflow_requests_finished_total", "reason=\"length\"");
        var runner = fx.Server.Runner;
        Assert.True(runner.TryReserveQueueSlot(int.MaxValue));
        var request = new Request("race-" + Guid.NewGuid().ToString("N"), [1, 403, 407], 4, 1e6, runner.Clock.Now) { IgnoreEos = true };
        var sink = runner.Submit(request, watched: true);
        await foreach (var _ in sink.Tokens.ReadAllAsync()) { } // the engine's end comes first
        Assert.Equal(FinishReason.Length, sink.FinishReason);
        await Task.Delay(200);
        Assert.Equal(stop0, Value(await ScrapeAsync(), "tokenflow_requests_finished_total", "reason=\"stop\"")); // not counted before the handler is done
        sink.MarkStoppedByString(); // only now does the handler see the stop string
        runner.HandlerEnded(sink);
        var after = await ScrapeUntilAsync(t => Value(t, "tokenflow_requests_finished_total", "reason=\"stop\"") > stop0);
        Assert.Equal(stop0 + 1, Value(after, "tokenflow_requests_finished_total", "reason=\"stop\""));
        Assert.Equal(length0, Value(after, "tokenflow_requests_finished_total", "reason=\"length\""));
    }

    [Fact]
    public async Task StopStringFinishCountsAsStop()
    {
        var before = await ScrapeAsync();
        var stop0 = Value(before, "tokenflow_requests_finished_total", "reason=\"stop\"");
        var abort0 = Value(before, "tokenflow_requests_finished_total", "reason=\"abort\"");
        var success0 = Value(before, "vllm:request_success_total", "finished_reason=\"stop\"");
        // Greedy stories260K continues "Once upon a time" with ", there was": the stop string hits at once.
        using var r = await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":30,"temperature":0,"stop":["there"]}"""));
        Assert.Contains("\"finish_reason\":\"stop\"", await r.Content.ReadAsStringAsync());
        var after = await ScrapeUntilAsync(t => Value(t, "tokenflow_requests_finished_total", "reason=\"stop\"") > stop0);
        Assert.Equal(stop0 + 1, Value(after, "tokenflow_requests_finished_total", "reason=\"stop\""));
        Assert.Equal(abort0, Value(after, "tokenflow_requests_finished_total", "reason=\"abort\""));
        Assert.Equal(success0 + 1, Value(after, "vllm:request_success_total", "finished_reason=\"stop\""));
    }

    [Fact]
    public async Task RequestMetricsMoveWithEachFinishedRequest()
    {
        string[] perRequest =
        [
            "vllm:e2e_request_latency_seconds_count", "vllm:request_queue_time_seconds_count", "vllm:request_prefill_time_seconds_count",
            "vllm:request_decode_time_seconds_count", "vllm:time_per_output_token_seconds_count", "vllm:request_prompt_tokens_count",
            "vllm:request_generation_tokens_count",
        ];
        var before = await ScrapeAsync();
        var length0 = Value(before, "vllm:request_success_total", "finished_reason=\"length\"");
        var ok0 = Value(before, "http_requests_total", "handler=\"/v1/completions\"", "status=\"200\"");
        var bad0 = Value(before, "http_requests_total", "handler=\"/v1/completions\"", "status=\"400\"");
        var iter0 = Value(before, "vllm:iteration_tokens_total_count");
        var genSum0 = Value(before, "vllm:request_generation_tokens_sum");
        using (var r = await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":12,"temperature":0,"ignore_eos":true}""")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"x","n":3}""")))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var after = await ScrapeUntilAsync(t => Value(t, "vllm:request_success_total", "finished_reason=\"length\"") > length0);
        foreach (var name in perRequest)
            Assert.True(Value(after, name) >= Value(before, name) + 1, $"{name} did not move");
        Assert.Equal(length0 + 1, Value(after, "vllm:request_success_total", "finished_reason=\"length\""));
        Assert.Equal(genSum0 + 12, Value(after, "vllm:request_generation_tokens_sum"));
        Assert.True(Value(after, "vllm:iteration_tokens_total_count") >= iter0 + 12); // a prefill step and a decode step per further token
        Assert.True(Value(after, "http_requests_total", "handler=\"/v1/completions\"", "status=\"200\"") >= ok0 + 1);
        Assert.True(Value(after, "http_requests_total", "handler=\"/v1/completions\"", "status=\"400\"") >= bad0 + 1);
        Assert.Equal(1, Value(after, "vllm:cache_config_info", "block_size=\"16\"", "num_gpu_blocks=\"512\""));
        Assert.True(Value(after, "process_cpu_seconds_total") > 0);
        Assert.True(Value(after, "process_working_set_bytes") > 0);
        Assert.Contains("vllm:time_to_first_token_seconds_bucket{model_name=", after);
        Assert.Contains("le=\"2560\"", after); // vLLM's TTFT buckets reach 2560 s
        Assert.Contains("# TYPE vllm:num_preemptions_total counter", after);
    }

    [Fact]
    public async Task RateLimitedRequestsAreCountedAs429()
    {
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { MaxNumQueuedReqs = 0 }));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        using (var r = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":2}""")))
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        var text = await http.GetStringAsync("metrics");
        Assert.Equal(1, Value(text, "http_requests_total", "handler=\"/v1/completions\"", "status=\"429\""));
    }
}

/// <summary>The shipped Grafana dashboard is valid JSON and reads only metrics the server exports.</summary>
[Collection("server")]
public sealed class GrafanaDashboardTests(ServerFixture fx)
{
    [Fact]
    public async Task EveryQueriedMetricIsExported()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "deploy/grafana/tokenflow-dashboard.json"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var json = await File.ReadAllTextAsync(Path.Combine(dir!.FullName, "deploy/grafana/tokenflow-dashboard.json"));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var exprs = doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(exprs.Count >= 20);
        using (var r = await fx.Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once","max_tokens":3,"temperature":0}"""))) await r.Content.ReadAsStringAsync();
        var scrape = await fx.Http.GetStringAsync("metrics");
        var names = exprs.SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, @"(vllm:[a-z_]+|tokenflow_[a-z_]+|http_requests_total|process_[a-z_]+)").Select(m => m.Value)).Distinct().ToList();
        foreach (var n in names) Assert.True(scrape.Contains("\n" + n, StringComparison.Ordinal) || scrape.StartsWith(n, StringComparison.Ordinal), $"{n} is not exported");
    }
}
