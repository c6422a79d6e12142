using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using TokenFlow.Core.Engine;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server;

/// <summary>A running server: its URL, and the engine behind it for tests and benches.</summary>
public sealed class ServerHandle : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;
    private ShutdownReport? _report;

    private readonly IDisposable? _stats;

    internal ServerHandle(WebApplication app, ServerState state, string url, IDisposable? stats = null)
    {
        _app = app;
        _stats = stats;
        State = state;
        Url = url;
    }

    /// <summary>Base URL, e.g. http://127.0.0.1:8000 (no trailing slash).</summary>
    public string Url { get; }
    /// <summary>OpenAI base URL: <see cref="Url"/> + "/v1".</summary>
    public string ApiBase => Url + "/v1";
    public ServerState State { get; }
    public EngineRunner Runner => State.Runner;
    public LlmEngine Engine => State.Runner.Engine;
    public string ModelName => State.ModelName;

    /// <summary>Completes when the host stops (Ctrl+C in the CLI, or <see cref="DisposeAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    /// <summary>Fires when the process is asked to stop (SIGTERM, SIGINT), before anything has stopped.</summary>
    public CancellationToken StopRequested => _app.Lifetime.ApplicationStopping;

    /// <summary>
    /// Graceful shutdown: new requests get 503, open streams run on for up to <paramref name="timeout"/>,
    /// then the rest are aborted and every KV block is freed; then HTTP stops. Idempotent.
    /// </summary>
    public async Task<ShutdownReport> ShutdownAsync(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return _report ?? new ShutdownReport(0, 0, 0, 0, 0, 0);
        _stats?.Dispose();
        var sw = Stopwatch.StartNew();
        var runner = State.Runner;
        var atStart = runner.LiveCount;
        await runner.DrainAsync(timeout);
        var left = runner.LiveCount;
        // The engine stops next: what is left is aborted (handlers end their streams), copies land, blocks return.
        runner.Dispose();
        var kv = runner.Engine.Kv;
        _report = new ShutdownReport(atStart, Math.Max(0, atStart - left), left, sw.Elapsed.TotalSeconds, kv.Device.UsedCount, kv.Host.UsedCount);
        try { await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token); }
        catch (OperationCanceledException) { }
        State.Log.LogInformation("shut down in {Seconds:0.00} s", sw.Elapsed.TotalSeconds);
        return _report;
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(TimeSpan.Zero);
        await _app.DisposeAsync();
        State.Model.Dispose();
    }
}
