using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TokenFlow.Router.Metrics;
using TokenFlow.Routing.Load;

namespace TokenFlow.Router.Health;

/// <summary>
/// Background loops: polls every replica's <c>/v1/load</c> each PollInterval and its <c>/health</c>
/// each HealthInterval. A failed health check (or a connection failure seen by the proxy) takes the
/// replica out of rotation; a passing one puts it back.
/// </summary>
public sealed class ReplicaPoller : IAsyncDisposable
{
    private readonly IReadOnlyList<ReplicaEndpoint> _replicas;
    private readonly RouterOptions _options;
    private readonly RouterMetrics _metrics;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public ReplicaPoller(IReadOnlyList<ReplicaEndpoint> replicas, RouterOptions options, RouterMetrics metrics, ILogger log)
    {
        _replicas = replicas;
        _options = options;
        _metrics = metrics;
        _log = log;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(options.ProbeTimeout) }) { Timeout = TimeSpan.FromSeconds(options.ProbeTimeout) };
        _loops = [.. replicas.Select(r => Task.Run(() => LoadLoop(r))), .. replicas.Select(r => Task.Run(() => HealthLoop(r)))];
    }

    /// <summary>Router clock (s), shared with the proxy's dispatch stamps.</summary>
    public static double Now => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>Passive check: the proxy could not reach the replica.</summary>
    public void ReportConnectionFailure(ReplicaEndpoint r)
    {
        Interlocked.Increment(ref r.Failures);
        SetHealthy(r, false);
    }

    private async Task LoadLoop(ReplicaEndpoint r)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.PollInterval));
        do
        {
            var polledAt = Now;
            try
            {
                var bytes = await _http.GetByteArrayAsync(r.Url + "/v1/load", _stop.Token);
                if (LoadReportJson.TryParse(bytes) is { } report) r.Tracker.OnReport(report, polledAt);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested) { }
            catch (OperationCanceledException) { return; }
        }
        while (await WaitAsync(timer));
    }

    private async Task HealthLoop(ReplicaEndpoint r)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.HealthInterval));
        do
        {
            bool ok;
            try
            {
                using var response = await _http.GetAsync(r.Url + "/health", _stop.Token);
                ok = response.IsSuccessStatusCode;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { ok = false; }
            if (ok) Interlocked.Exchange(ref r.Failures, 0); else Interlocked.Increment(ref r.Failures);
            SetHealthy(r, ok);
        }
        while (await WaitAsync(timer));
    }

    private void SetHealthy(ReplicaEndpoint r, bool healthy)
    {
        if (r.Tracker.Healthy != healthy) _log.LogWarning("replica {Url} is {State}", r.Url, healthy ? "healthy again" : "unhealthy");
        r.Tracker.SetHealthy(healthy);
        _metrics.SetHealthy(r, healthy);
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try { return await timer.WaitForNextTickAsync(_stop.Token); }
        catch (OperationCanceledException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_loops); } catch (OperationCanceledException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
