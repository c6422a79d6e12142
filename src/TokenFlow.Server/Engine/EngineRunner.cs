using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;
using TokenFlow.Server.Model;

namespace TokenFlow.Server.Engine;

/// <summary>
/// Owns the engine and its thread. Requests enter through a channel that only the engine thread
/// drains, so the sink table needs no locks; tokens leave through each request's <see cref="StreamSink"/>.
/// Loop: Step(); when it has nothing to compute, sleep until the engine's next event (a submit, an
/// abort or a finished transfer wakes the clock early).
/// </summary>
public sealed partial class EngineRunner : IEngineObserver, IDisposable
{
    private readonly Channel<StreamSink> _incoming = Channel.CreateUnbounded<StreamSink>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, StreamSink> _live = new(StringComparer.Ordinal);
    private readonly SystemClock _clock;
    private readonly ThreadedTransferEngine _transfers;
    private readonly ModelExecutor _executor;
    private readonly IRunnerListener? _listener;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _queued;
    private double _lastWork;

    public EngineRunner(EngineOptions options, ModelExecutor executor, IScheduler scheduler, double? bandwidthCap, IRunnerListener? listener, ILogger log)
    {
        _clock = new SystemClock();
        _executor = executor;
        _listener = listener;
        _log = log;
        _transfers = new ThreadedTransferEngine(_clock, executor.Copier, bandwidthCap);
        Engine = new LlmEngine(options, _clock, executor.Executor, _transfers, scheduler, this);
        _thread = new Thread(Loop) { IsBackground = true, Name = "tokenflow-engine" };
    }

    public LlmEngine Engine { get; }
    public IClock Clock => _clock;
    /// <summary>Requests submitted that have produced no token yet (waiting, or still in the inbox).</summary>
    public int QueuedCount => Volatile.Read(ref _queued);
    /// <summary>Engine iterations that threw; each aborts the requests in flight.</summary>
    public long EngineFaults { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>Reserves a queue slot; false when <paramref name="limit"/> requests already wait.</summary>
    public bool TryReserveQueueSlot(int limit)
    {
        if (Interlocked.Increment(ref _queued) <= limit) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Hands a request (whose queue slot is reserved) to the engine thread.</summary>
    public StreamSink Submit(Request request)
    {
        var sink = new StreamSink(request);
        if (_stopping || !_incoming.Writer.TryWrite(sink))
        {
            Interlocked.Decrement(ref _queued);
            sink.Queued = false;
            sink.OnFinished(FinishReason.Abort);
            return sink;
        }
        _clock.Wake();
        return sink;
    }

    /// <summary>Aborts a request wherever it is (inbox, queue or running). Idempotent; thread-safe.</summary>
    public void Abort(StreamSink sink)
    {
        if (sink.FinishReason is not null || !sink.TryCancel()) return;
        // The engine thread either sees the flag before submitting, or processes this abort after the submit.
        Engine.Abort(sink.Request.Id);
    }

    private void Loop()
    {
        while (!_stopping)
        {
            try
            {
                DrainIncoming();
                if (Engine.Step()) { _lastWork = _clock.Now; RefreshLoad(force: false); continue; }
                RefreshLoad(force: true);
                var until = Engine.NextEventTime;
                // Keep the dashboard picture fresh after work stops (the engine snapshots at most every SnapshotInterval).
                if (Engine.Snapshot.Time < _lastWork) until = Math.Min(until, _clock.Now + Engine.SnapshotInterval);
                _clock.SleepUntil(until);
            }
            catch (Exception e)
            {
                EngineFaults++;
                _log.LogError(e, "engine iteration failed; aborting the requests in flight");
                foreach (var s in _live.Values) s.EngineFault = true;
                try { Engine.AbortAll(); } catch (Exception e2) { _log.LogError(e2, "abort after engine failure failed"); }
                FailAll();
            }
        }
        try { Engine.AbortAll(); } catch (Exception e) { _log.LogError(e, "abort at shutdown failed"); }
        FailAll();
        while (_incoming.Reader.TryRead(out var s)) Finish(s, FinishReason.Abort);
    }

    private void DrainIncoming()
    {
        while (_incoming.Reader.TryRead(out var sink))
        {
            if (sink.IsCancelled) { Finish(sink, FinishReason.Abort); continue; }
            _live[sink.Request.Id] = sink;
            Engine.Submit(sink.Request);
        }
    }

    /// <summary>Completes any sink the engine no longer knows (after a fault).</summary>
    private void FailAll()
    {
        foreach (var s in _live.Values.ToArray()) Finish(s, FinishReason.Abort);
    }

    private void Finish(StreamSink sink, FinishReason reason)
    {
        _live.Remove(sink.Request.Id);
        if (sink.Queued) { sink.Queued = false; Interlocked.Decrement(ref _queued); }
        sink.OnFinished(reason);
    }

    void IEngineObserver.OnToken(Request request, int token, double time)
    {
        if (!_live.TryGetValue(request.Id, out var sink)) return;
        if (sink.Queued)
        {
            sink.Queued = false;
            Interlocked.Decrement(ref _queued);
            _listener?.OnFirstToken(request, time - request.ArrivalTime);
        }
        else _listener?.OnInterToken(time - sink.LastTokenTime);
        sink.LastTokenTime = time;
        _listener?.OnToken(request, time);
        sink.OnToken(token);
        if (sink.IsCancelled) Engine.Abort(request.Id); // belt and braces: a cancelled stream never keeps running
    }

    void IEngineObserver.OnFinished(Request request)
    {
        if (!_live.TryGetValue(request.Id, out var sink)) return;
        _listener?.OnFinished(request);
        Finish(sink, request.FinishReason ?? FinishReason.Abort);
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _incoming.Writer.TryComplete();
        _clock.Wake();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        _transfers.Dispose();
        _executor.Owner?.Dispose();
        _clock.Dispose();
    }
}

/// <summary>Engine-thread callbacks for metrics and the dashboard; must be fast and must not throw.</summary>
public interface IRunnerListener
{
    void OnFirstToken(Request request, double ttftSeconds);
    void OnInterToken(double seconds);
    void OnToken(Request request, double time);
    void OnFinished(Request request);
}
