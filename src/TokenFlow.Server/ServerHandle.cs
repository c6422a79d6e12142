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

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stats?.Dispose();
        var started = System.Diagnostics.Stopwatch.StartNew();
        // The engine stops first, so open streams end (and their handlers return) before Kestrel drains.
        State.Runner.Dispose();
        try { await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token); }
        catch (OperationCanceledException) { }
        State.Log.LogInformation("shut down in {Seconds:0.00} s", started.Elapsed.TotalSeconds);
        await _app.DisposeAsync();
        State.Model.Dispose();
    }
}
