using Microsoft.AspNetCore.Builder;
using TokenFlow.Router.Health;
using TokenFlow.Router.Metrics;

namespace TokenFlow.Router;

/// <summary>A running router: its URL, replicas and metrics.</summary>
public sealed class RouterHandle : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ReplicaPoller _poller;
    private readonly IDisposable _client;
    private int _stopped;

    internal RouterHandle(WebApplication app, ReplicaPoller poller, IDisposable client, IReadOnlyList<ReplicaEndpoint> replicas, RouterMetrics metrics, string url)
    {
        _app = app;
        _poller = poller;
        _client = client;
        Replicas = replicas;
        Metrics = metrics;
        Url = url;
    }

    public string Url { get; }
    public string ApiBase => Url + "/v1";
    public IReadOnlyList<ReplicaEndpoint> Replicas { get; }
    public RouterMetrics Metrics { get; }

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _poller.DisposeAsync();
        try { await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
