using System.Net;
using System.Text.Json;

namespace TokenFlow.Server.Tests;

/// <summary>Disconnects, overload (429), queue timeout (503): the engine ends clean every time.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task DisconnectMidStreamAbortsAndFreesEveryBlock()
    {
        await using var server = await TestModel.StartAsync(TestModel.Options(), stepDelay: TimeSpan.FromMilliseconds(5));
        // No response draining: disposing a half-read response must close the connection, as a browser tab would,
        // instead of SocketsHttpHandler reading the rest of the stream (up to 1 MB / 2 s) to reuse the connection.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(server.Url + "/") };
        var abortedBefore = server.Engine.Counters.AbortedRequests;

        // One running stream, dropped after a few chunks; one queued-but-never-read stream, dropped at once.
        var body = """{"prompt":"Once upon a time","max_tokens":400,"ignore_eos":true,"stream":true}""";
        var response = await http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var reader = new StreamReader(stream);
        for (var i = 0; i < 6; i++) Assert.NotNull(await reader.ReadLineAsync());
        Assert.True(server.Engine.Kv.Device.UsedCount > 0);
        response.Dispose(); // closes the connection mid-stream

        using var cts = new CancellationTokenSource();
        var pending = http.SendAsync(Sse.Post("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":400,"ignore_eos":true}"""), cts.Token);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (server.Engine.Counters.AbortedRequests - abortedBefore < 1 || server.Engine.ActiveCount + server.Engine.WaitingCount < 1)
        {
            Assert.True(DateTime.UtcNow < until, "the second request never reached the engine");
            await Task.Delay(10);
        }
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);

        await Sse.WaitForIdleAsync(server, TimeSpan.FromSeconds(10));
        Assert.True(server.Engine.Counters.AbortedRequests - abortedBefore >= 2, $"aborted {server.Engine.Counters.AbortedRequests - abortedBefore}");
        Assert.True(server.Engine.Counters.GeneratedTokens < 700, "the dropped streams kept generating");

        // And it still serves.
        var ok = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Zoo","max_tokens":5}"""));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task BurstBeyondQueueLimitGets429AndAdmittedRequestsComplete()
    {
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { MaxNumQueuedReqs = 4, MaxNumSeqs = 2 }), stepDelay: TimeSpan.FromMilliseconds(4));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        var tasks = Enumerable.Range(0, 24).Select(async i =>
        {
            var r = await http.SendAsync(Sse.Post("v1/completions", $$"""{"prompt":"Once upon a time","max_tokens":16,"ignore_eos":true,"temperature":0,"stream":{{(i % 2 == 0 ? "true" : "false")}}}"""));
            var body = await r.Content.ReadAsStringAsync();
            return (r.StatusCode, body, r.Headers.RetryAfter);
        }).ToList();
        var results = await Task.WhenAll(tasks);
        var rejected = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var admitted = results.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.Equal(results.Length, rejected.Count + admitted.Count);
        Assert.NotEmpty(rejected);
        Assert.True(admitted.Count >= 4, $"only {admitted.Count} admitted");
        foreach (var r in rejected)
        {
            Assert.NotNull(r.RetryAfter);
            using var d = JsonDocument.Parse(r.body);
            Assert.Equal("rate_limit_exceeded", d.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        foreach (var r in admitted)
        {
            if (r.body.StartsWith("data: ", StringComparison.Ordinal)) Assert.EndsWith("data: [DONE]\n\n", r.body);
            else Assert.Equal(16, JsonDocument.Parse(r.body).RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        await Sse.WaitForIdleAsync(server);
    }

    [Fact]
    public async Task RequestQueuedPastTimeoutGets503AndIsRemoved()
    {
        // FCFS keeps the second request queued behind the first; tokenflow would pause the first to serve it.
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { Policy = "fcfs", MaxNumSeqs = 1, QueueTimeout = TimeSpan.FromMilliseconds(300) }), stepDelay: TimeSpan.FromMilliseconds(10));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        using var first = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":150,"ignore_eos":true,"stream":true}"""), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode); // headers come with the first token: it runs now
        var second = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Zoo","max_tokens":150,"ignore_eos":true,"stream":true}"""));
        await HttpApiTests.AssertErrorAsync(second, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal("[DONE]", (await Sse.ReadAllAsync(first))[^1]);
        await Sse.WaitForIdleAsync(server);
    }
}
