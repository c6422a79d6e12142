using TokenFlow.Router;
using TokenFlow.Server;
using TokenFlow.Server.Tests;

namespace TokenFlow.Router.Tests;

/// <summary>Real stories260K replicas on loopback ports and a router in front of them.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly Func<ServerOptions, ServerOptions>? _tweak;
    private readonly TimeSpan? _stepDelay;

    private TestCluster(ServerHandle?[] replicas, Func<ServerOptions, ServerOptions>? tweak, TimeSpan? stepDelay)
    {
        Replicas = replicas;
        _tweak = tweak;
        _stepDelay = stepDelay;
    }

    public ServerHandle?[] Replicas { get; }
    public RouterHandle Router { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public static async Task<TestCluster> StartAsync(int n, string policy = "buffer-aware", Func<ServerOptions, ServerOptions>? tweak = null, TimeSpan? stepDelay = null)
    {
        var replicas = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => TestModel.StartAsync(TestModel.Options(tweak), stepDelay)));
        var c = new TestCluster(replicas, tweak, stepDelay);
        await c.StartRouterAsync(policy);
        return c;
    }

    public async Task<RouterHandle> StartRouterAsync(string policy)
    {
        var router = await RouterServer.StartAsync(new RouterOptions { Port = 0, Policy = policy, Replicas = [.. Replicas.Select(r => r!.Url)], PollInterval = 0.1, HealthInterval = 0.2 });
        if (Router is null) { Router = router; Http = new HttpClient { BaseAddress = new Uri(router.Url + "/"), Timeout = TimeSpan.FromSeconds(60) }; }
        return router;
    }

    public async Task KillAsync(int i)
    {
        await Replicas[i]!.DisposeAsync();
        Replicas[i] = null;
    }

    /// <summary>Restarts replica <paramref name="i"/> on its old port.</summary>
    public async Task RestartAsync(int i, int port) =>
        Replicas[i] = await TestModel.StartAsync(TestModel.Options(o => (_tweak?.Invoke(o) ?? o) with { Port = port }), _stepDelay);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, double seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Router is not null) await Router.DisposeAsync();
        foreach (var r in Replicas) if (r is not null) await r.DisposeAsync();
    }
}
