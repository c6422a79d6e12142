using System.Net;
using System.Text.Json;
using TokenFlow.Server.Tests;

namespace TokenFlow.Router.Tests;

/// <summary>Routing decisions under load, and a replica dying and coming back.</summary>
public sealed class RouterResilienceTests
{
    private static string Short => JsonSerializer.Serialize(new { prompt = "Once", max_tokens = 4, temperature = 0 });

    [Fact]
    public async Task BufferAwareAvoidsABusyReplicaWhileRoundRobinDoesNot()
    {
        await using var c = await TestCluster.StartAsync(3, stepDelay: TimeSpan.FromMilliseconds(5));
        await using var rr = await c.StartRouterAsync("round-robin");
        var busy = c.Replicas[0]!;
        // Readers far faster than the replica can decode: Σr ≫ Γ on replica 0.
        using var direct = new HttpClient { BaseAddress = new Uri(busy.Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        using var cancel = new CancellationTokenSource();
        var hogs = Enumerable.Range(0, 4).Select(_ => direct.SendAsync(Sse.Post("v1/completions",
            JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 480, ignore_eos = true, stream = true, consumption_rate = 1e6 })),
            HttpCompletionOption.ResponseHeadersRead, cancel.Token)).ToArray();
        await TestCluster.WaitUntilAsync(() => c.Router.Replicas[0].Tracker.Report is { } l && l.SumRate > l.Capacity && l.Running > 0, "the router sees replica 0 overloaded");
        await TestCluster.WaitUntilAsync(() => rr.Replicas[0].Tracker.Report is { SumRate: > 0 }, "the round-robin router has a report");

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await c.Http.SendAsync(Sse.Post("v1/completions", Short))).StatusCode);
            using var viaRr = new HttpClient { BaseAddress = new Uri(rr.Url + "/") };
            Assert.Equal(HttpStatusCode.OK, (await viaRr.SendAsync(Sse.Post("v1/completions", Short))).StatusCode);
        }
        Assert.Equal(0, c.Router.Metrics.CountDecisions(c.Router.Replicas[0]));
        Assert.Equal(6, c.Router.Metrics.CountDecisions(c.Router.Replicas[1]) + c.Router.Metrics.CountDecisions(c.Router.Replicas[2]));
        Assert.Equal(2, rr.Metrics.CountDecisions(rr.Replicas[0]));
        cancel.Cancel();
        foreach (var h in hogs) { try { (await h).Dispose(); } catch (OperationCanceledException) { } }
    }

    [Fact]
    public async Task KillingAReplicaEndsItsStreamsWithAnErrorAndNewRequestsGoElsewhere()
    {
        await using var c = await TestCluster.StartAsync(3, policy: "round-robin", stepDelay: TimeSpan.FromMilliseconds(10));
        var victimUrl = c.Replicas[0]!.Url;
        var port = new Uri(victimUrl).Port;
        var body = JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 300, ignore_eos = true, stream = true, consumption_rate = 1000 });
        var streams = new List<(HttpResponseMessage Response, string Replica)>();
        for (var i = 0; i < 3; i++)
        {
            var response = await c.Http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            streams.Add((response, response.Headers.GetValues(Proxy.ProxyHandler.ReplicaHeader).Single()));
        }
        Assert.Contains(streams, s => s.Replica == victimUrl);
        var reads = streams.Select(s => Sse.ReadAllAsync(s.Response)).ToArray();
        await Task.Delay(200);
        await c.KillAsync(0);

        var all = await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30)); // nothing hangs
        for (var i = 0; i < streams.Count; i++)
        {
            Assert.Equal("[DONE]", all[i][^1]);
            var hasError = all[i].Any(e => e.StartsWith("{\"error\"", StringComparison.Ordinal));
            Assert.Equal(streams[i].Replica == victimUrl, hasError);
        }
        foreach (var s in streams) s.Response.Dispose();

        for (var i = 0; i < 6; i++)
        {
            using var response = await c.Http.SendAsync(Sse.Post("v1/completions", Short));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEqual(victimUrl, response.Headers.GetValues(Proxy.ProxyHandler.ReplicaHeader).Single());
        }
        await TestCluster.WaitUntilAsync(() => !c.Router.Replicas[0].Tracker.Healthy, "the router marks the dead replica unhealthy");
        await c.RestartAsync(0, port);
        await TestCluster.WaitUntilAsync(() => c.Router.Replicas[0].Tracker.Healthy, "the router marks the restarted replica healthy");
    }
}
