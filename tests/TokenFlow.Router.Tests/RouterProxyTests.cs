using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using TokenFlow.Router.Proxy;
using TokenFlow.Server.Tests;

namespace TokenFlow.Router.Tests;

/// <summary>Three real replicas behind the router, over loopback HTTP.</summary>
public sealed class RouterProxyTests
{
    private static ChatClient Chat(string apiBase) => new("stories260K", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(apiBase) });

    [Fact]
    public async Task SdkStreamsChatAndCompletionsThroughRouterWithTheSameTextAsOneReplica()
    {
        await using var c = await TestCluster.StartAsync(3, policy: "round-robin");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 48 };
        ChatMessage[] messages = [new UserChatMessage("Tell me a story about a cat.")];
        ChatCompletion direct = await Chat(c.Replicas[0]!.ApiBase).CompleteChatAsync(messages, options);
        var expected = direct.Content[0].Text;
        Assert.False(string.IsNullOrEmpty(expected));
        for (var i = 0; i < 3; i++) // round-robin: every replica serves one of them
        {
            var text = new System.Text.StringBuilder();
            await foreach (var u in Chat(c.Router.ApiBase).CompleteChatStreamingAsync(messages, options))
                foreach (var part in u.ContentUpdate) text.Append(part.Text);
            Assert.Equal(expected, text.ToString());
        }
        foreach (var r in c.Router.Replicas) Assert.True(c.Router.Metrics.CountDecisions(r) >= 1, $"{r.Url} got no stream");

        // Completions (the SDK has no legacy-completions client: its pipeline's transport is plain HTTP, as here).
        var body = JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 40, temperature = 0, stream = true, consumption_rate = 50 });
        using var directHttp = new HttpClient { BaseAddress = new Uri(c.Replicas[1]!.Url + "/") };
        var want = Sse.Text(await Sse.ReadAllAsync(await directHttp.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead)));
        using var response = await c.Http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await Sse.ReadAllAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(want, Sse.Text(events));
        Assert.True(response.Headers.Contains(ProxyHandler.ReplicaHeader));
    }

    [Fact]
    public async Task ConsumptionRateAndPriorityReachTheReplica()
    {
        await using var c = await TestCluster.StartAsync(1, stepDelay: TimeSpan.FromMilliseconds(20));
        var body = JsonSerializer.Serialize(new { prompt = "Once", max_tokens = 200, ignore_eos = true, temperature = 0, stream = true, priority = 3 });
        var request = Sse.Post("v1/completions", body);
        request.Headers.Add("X-Consumption-Rate", "123.5");
        using var response = await c.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var replica = c.Replicas[0]!;
        await TestCluster.WaitUntilAsync(() => replica.Runner.Load.SumRate > 0, "the replica reports the stream");
        Assert.Equal(123.5, replica.Runner.Load.SumRate, 6);
    }

    [Fact]
    public async Task ClientDisconnectThroughRouterReturnsTheReplicasBlocks()
    {
        await using var c = await TestCluster.StartAsync(1, stepDelay: TimeSpan.FromMilliseconds(10));
        var body = JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 400, ignore_eos = true, stream = true, consumption_rate = 1000 });
        var replica = c.Replicas[0]!;
        using (var response = await c.Http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var i = 0; i < 6; i++) Assert.NotNull(await reader.ReadLineAsync());
            Assert.True(replica.Engine.Kv.Device.FreeCount < replica.Engine.Kv.Device.Total);
        }
        await Sse.WaitForIdleAsync(replica, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AllReplicasRefusingGives429WithRetryAfterNever5xx()
    {
        await using var c = await TestCluster.StartAsync(3, tweak: o => o with { MaxNumQueuedReqs = 0 });
        var body = JsonSerializer.Serialize(new { prompt = "Once", max_tokens = 4 });
        for (var i = 0; i < 6; i++)
        {
            using var response = await c.Http.SendAsync(Sse.Post("v1/completions", body));
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("rate_limit_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        }
        Assert.True(c.Router.Metrics.CountRetries("refused") >= 6);
    }

    [Fact]
    public async Task LoadReportIsServedAsJsonAndOnMetrics()
    {
        await using var c = await TestCluster.StartAsync(1);
        using var http = new HttpClient { BaseAddress = new Uri(c.Replicas[0]!.Url + "/") };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("v1/load"));
        var root = doc.RootElement;
        Assert.Equal(512, root.GetProperty("device_total_blocks").GetInt32());
        Assert.Equal(512, root.GetProperty("device_free_blocks").GetInt32());
        Assert.Equal(1024, root.GetProperty("host_total_blocks").GetInt32());
        Assert.True(root.GetProperty("capacity").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("waiting").GetInt32());
        Assert.True(root.GetProperty("time").GetDouble() > 1.7e9);
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("tokenflow_load_capacity", metrics);
        Assert.Contains("tokenflow_load_free_blocks{", metrics);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("tokenflow_load_free_blocks{", StringComparison.Ordinal) && l.Contains("tier=\"device\"", StringComparison.Ordinal) && l.EndsWith(" 512", StringComparison.Ordinal));
        var routerMetrics = await c.Http.GetStringAsync("metrics");
        Assert.Contains("tokenflow_router_replica_healthy", routerMetrics);
        var page = await c.Http.GetStringAsync("");
        Assert.Contains(c.Replicas[0]!.Url, page);
    }
}
