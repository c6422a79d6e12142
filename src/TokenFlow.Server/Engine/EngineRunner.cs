using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Server.Model;

namespace TokenFlow.Server.Engine;

/// <summary>
/// The HTTP side of the <see cref="EngineHost"/>: each request gets a <see cref="StreamSink"/>, its
/// way out of the engine (tokens, state, outcome); the host's one inbox carries submits and aborts,
/// by reference. Also keeps the queue count behind 429 and drains for a graceful shutdown.
/// </summary>
public sealed partial class EngineRunner : IEngineObserver, IDisposable
{
    private readonly ConcurrentDictionary<Request, StreamSink> _live = new(ReferenceEqualityComparer.Instance);
    private readonly EngineHost _host;
    private readonly IRunnerListener? _listener;
    private readonly ILogger _log;
    private int _queued;
    private int _disposed;

    public EngineRunner(EngineOptions options, ModelExecutor executor, IScheduler scheduler, double? bandwidthCap, IRunnerListener? listener, ILogger log)
    {
        _listener = listener;
        _log = log;
        _host = new EngineHost(options, executor.Executor, executor.Copier, scheduler, this, bandwidthCap, executor.Owner, OnFault);
    }

    public EngineHost Host => _host;
    public LlmEngine Engine => _host.Engine;
    public IClock Clock => _host.Clock;
    /// <summary>Requests submitted that have produced no token yet (waiting, or still in the inbox).</summary>
    public int QueuedCount => Volatile.Read(ref _queued);
    /// <summary>Requests submitted and not yet ended.</summary>
    public int LiveCount => _live.Count;
    /// <summary>Engine iterations that threw; each aborts the requests in flight.</summary>
    public long EngineFaults => _host.Faults;

    public void Start() => _host.Start();

    /// <summary>Reserves a queue slot; false when <paramref name="limit"/> requests already wait.</summary>
    public bool TryReserveQueueSlot(int limit)
    {
        if (Interlocked.Increment(ref _queued) <= limit) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Hands a request (whose queue slot is reserved) to the engine thread. While draining, it ends aborted at once.</summary>
    /// <param name="watched">An HTTP handler reads this stream and calls <see cref="HandlerEnded"/> when it is done.</param>
    public StreamSink Submit(Request request, bool watched = false)
    {
        var sink = new StreamSink(request);
        if (watched) sink.ExpectHandlerEnd();
        if (_host.IsDraining || Volatile.Read(ref _disposed) != 0)
        {
            ReleaseQueueSlot(sink);
            sink.OnFinished(FinishReason.Abort);
            return sink;
        }
        _live[request] = sink;
        if (!_host.Post(request)) Finish(request, sink, FinishReason.Abort); // the host stopped meanwhile
        return sink;
    }

    /// <summary>Aborts a request wherever it is (inbox, queue or running). Idempotent; thread-safe.</summary>
    public void Abort(StreamSink sink)
    {
        if (sink.FinishReason is not null || !sink.TryCancel()) return;
        _host.Cancel(sink.Request);
    }

    /// <summary>The HTTP handler of a watched stream is done with it; the finish is counted if the engine's end is in too.</summary>
    public void HandlerEnded(StreamSink sink)
    {
        if (sink.EndOne() && sink.EngineReason is not null) _listener?.OnFinished(sink.Request, sink.CountedReason);
    }

    /// <summary>Stops taking requests and completes when every stream has ended, or after <paramref name="timeout"/> (false).</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var drained = _host.BeginDrain();
        if (timeout <= TimeSpan.Zero) return drained.IsCompleted;
        try { await drained.WaitAsync(timeout); return true; }
        catch (TimeoutException) { return false; }
    }

    private void OnFault(Exception e)
    {
        _log.LogError(e, "engine iteration failed; aborting the requests in flight");
        // Engine thread: the engine is about to abort every request it holds; their clients get a 500, not a 503.
        foreach (var (request, sink) in _live)
            if (request.Accepted) sink.EngineFault = true;
    }

    private void ReleaseQueueSlot(StreamSink sink)
    {
        if (!sink.Queued) return;
        sink.Queued = false;
        Interlocked.Decrement(ref _queued);
    }

    /// <summary>Ends a sink once: whoever removes it from the live table (engine thread, a refused submit, dispose) ends it.</summary>
    private void Finish(Request request, StreamSink sink, FinishReason reason)
    {
        if (!_live.TryRemove(request, out _)) return;
        ReleaseQueueSlot(sink);
        sink.OnFinished(reason);
    }

    void IEngineObserver.OnToken(Request request, int token, double time)
    {
        if (!_live.TryGetValue(request, out var sink)) return;
        if (sink.Queued)
        {
            ReleaseQueueSlot(sink);
            _listener?.OnFirstToken(request, time - request.ArrivalTime);
        }
        else _listener?.OnInterToken(time - sink.LastTokenTime);
        sink.LastTokenTime = time;
        _listener?.OnToken(request, time);
        sink.OnToken(token);
    }

    void IEngineObserver.OnStateChanged(Request request, RequestState from)
    {
        if (_live.TryGetValue(request, out var sink)) sink.State = request.State;
    }

    void IEngineObserver.OnIteration(int tokens)
    {
        _listener?.OnIteration(tokens);
        RefreshLoad(force: false);
    }

    void IEngineObserver.OnIdle() => RefreshLoad(force: true);

    void IEngineObserver.OnFinished(Request request)
    {
        if (!_live.TryGetValue(request, out var sink)) return;
        var reason = request.FinishReason ?? FinishReason.Abort;
        if (reason == FinishReason.Abort && sink.StoppedByString) reason = FinishReason.Stop;
        sink.EngineReason = reason;
        if (sink.EndOne()) _listener?.OnFinished(request, sink.CountedReason);
        Finish(request, sink, reason);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _host.Dispose();
        // Nothing is left in the engine; a sink that somehow missed its end still gets one.
        foreach (var (request, sink) in _live) Finish(request, sink, FinishReason.Abort);
    }
}

/// <summary>Engine-thread callbacks for metrics and the dashboard; must be fast and must not throw.</summary>
public interface IRunnerListener
{
    void OnFirstToken(Request request, double ttftSeconds);
    void OnInterToken(double seconds);
    void OnToken(Request request, double time);
    /// <summary>A request ended; <paramref name="reason"/> counts a stop-string end as Stop, though the engine saw an abort.</summary>
    void OnFinished(Request request, FinishReason reason);
    /// <summary>One engine iteration computed <paramref name="tokens"/> tokens (prefill and decode).</summary>
    void OnIteration(int tokens) { }
}
