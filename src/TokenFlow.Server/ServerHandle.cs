using Microsoft.AspNetCore.Builder;
using TokenFlow.Core.Engine;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server;

/// <summary>A running server: its URL, and the engine behind it for tests and benches.</summary>
public sealed class ServerHandle : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    internal ServerHandle(WebApplication app, ServerState state, string url)
    {
        _app = app;
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
        // The engine stops first, so open streams end (and their handlers return) before Kestrel drains.
        State.Runner.Dispose();
        try { await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        State.Model.Dispose();
    }
}
