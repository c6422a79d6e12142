using System.Collections.Concurrent;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Engine;

/// <summary>
/// The one real-time driver of an <see cref="LlmEngine"/>: a <see cref="SystemClock"/>, a
/// <see cref="ThreadedTransferEngine"/> over the executor's arenas, and the loop that steps the
/// engine and sleeps until its next event. <c>serve</c> runs the loop on its own thread
/// (<see cref="Start"/>); <c>generate</c> and the benches run it on the caller's (<see cref="RunUntilIdle"/>).
/// Other threads talk to the engine only through one inbox (<see cref="Post"/>, <see cref="Cancel"/>),
/// drained in order by the engine thread, which alone owns every request's state.
/// </summary>
public sealed class EngineHost : IEngineObserver, IDisposable
{
    private readonly ConcurrentQueue<(Request Request, bool Abort)> _inbox = new();
    private readonly SystemClock _clock;
    private readonly ThreadedTransferEngine _transfers;
    private readonly IEngineObserver? _observer;
    private readonly IDisposable? _owner;
    private readonly Action<Exception>? _onFault;
    private readonly object _lifecycle = new();
    private Thread? _thread;
    private TaskCompletionSource? _drained;
    private volatile bool _stopping;
    private volatile bool _draining;
    private bool _stopped, _disposed;
    private int _live;
    private long _faults;
    private double _lastWork;

    /// <param name="copier">Moves KV bytes between the executor's tiers (usually the executor itself).</param>
    /// <param name="observer">Engine-thread callbacks (tokens, finishes, state changes).</param>
    /// <param name="bandwidthCap">Emulated PCIe bandwidth per direction; null copies at memory speed.</param>
    /// <param name="owner">Disposed with the host (the executor and its arenas).</param>
    /// <param name="onFault">Told of an iteration that threw, on the engine thread, just before the requests in flight are aborted.</param>
    public EngineHost(EngineOptions options, IExecutor executor, IKvBlockCopier copier, IScheduler scheduler, IEngineObserver? observer = null,
        double? bandwidthCap = null, IDisposable? owner = null, Action<Exception>? onFault = null)
    {
        _clock = new SystemClock();
        _observer = observer;
        _owner = owner;
        _onFault = onFault;
        _transfers = new ThreadedTransferEngine(_clock, copier, bandwidthCap);
        Engine = new LlmEngine(options, _clock, executor, _transfers, scheduler, this);
    }

    /// <summary>The engine. Read its counters and snapshot from anywhere; call it only from the engine thread.</summary>
    public LlmEngine Engine { get; }
    public IClock Clock => _clock;
    public ThreadedTransferEngine Transfers => _transfers;
    /// <summary>Requests posted and not yet ended.</summary>
    public int Live => Volatile.Read(ref _live);
    /// <summary>Iterations that threw; each aborted the requests in flight.</summary>
    public long Faults => Interlocked.Read(ref _faults);
    /// <summary>True once <see cref="BeginDrain"/> was called: new requests are aborted on arrival.</summary>
    public bool IsDraining => _draining;

    /// <summary>
    /// Hands a new request to the engine thread. Thread-safe. False once the host is stopping: the
    /// request was refused and will never be seen (so no request can sit in the inbox after the last drain).
    /// </summary>
    public bool Post(Request request)
    {
        lock (_lifecycle)
        {
            if (_stopped) return false;
            Interlocked.Increment(ref _live);
            _inbox.Enqueue((request, false));
        }
        _clock.Wake();
        return true;
    }

    /// <summary>Aborts a posted request wherever it is (inbox, queue, running, paused). Idempotent; thread-safe.</summary>
    public void Cancel(Request request)
    {
        _inbox.Enqueue((request, true));
        _clock.Wake();
    }

    /// <summary>Runs the loop on its own thread until <see cref="Stop"/>.</summary>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_thread is not null || _stopped) throw new InvalidOperationException("the engine host was already started");
            _thread = new Thread(Loop) { IsBackground = true };
            _thread.Name ??= "tokenflow-engine"; // a harness that names its threads (Coyote) keeps its name
            _thread.Start();
        }
    }

    /// <summary>Runs the loop on the calling thread until no request is left (or <paramref name="cancel"/>); not with <see cref="Start"/>.</summary>
    public void RunUntilIdle(CancellationToken cancel = default)
    {
        if (_thread is not null) throw new InvalidOperationException("the engine host runs on its own thread");
        while (!cancel.IsCancellationRequested)
        {
            DrainInbox();
            if (!Engine.HasWork) return;
            Iterate(maxSleep: 0.01);
        }
    }

    /// <summary>Stops taking requests (later ones end aborted at once). Completes when every live request has ended.</summary>
    public Task BeginDrain()
    {
        lock (_lifecycle)
        {
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _draining = true;
        }
        _clock.Wake();
        if (Live == 0) _drained.TrySetResult();
        return _drained.Task;
    }

    /// <summary>
    /// Stops the loop: aborts every request left (inbox included), waits for copies in flight so that
    /// every block is back on a free list, and joins the engine thread. Idempotent.
    /// </summary>
    public void Stop()
    {
        lock (_lifecycle)
        {
            if (_stopped) return;
            _stopped = true;
            _draining = true;
            _stopping = true;
        }
        _clock.Wake();
        if (_thread is not null) _thread.Join();
        else Release(); // never started: the caller's thread is the engine thread
    }

    private void Loop()
    {
        while (!_stopping) Iterate(maxSleep: double.PositiveInfinity);
        Release();
    }

    private void Iterate(double maxSleep)
    {
        try
        {
            DrainInbox();
            if (Engine.Step()) { _lastWork = _clock.Now; return; }
            var until = Engine.NextEventTime;
            // Keep the dashboard picture fresh after work stops (the engine snapshots at most every SnapshotInterval).
            if (Engine.Snapshot.Time < _lastWork) until = Math.Min(until, _clock.Now + Engine.SnapshotInterval);
            if (_stopping) return;
            _observer?.OnIdle();
            _clock.SleepUntil(Math.Min(until, _clock.Now + maxSleep));
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _faults);
            _onFault?.Invoke(e);
            try { Engine.AbortAll(); } catch (Exception) { /* already reported; the blocks are checked at shutdown */ }
        }
    }

    private void DrainInbox()
    {
        while (_inbox.TryDequeue(out var item))
        {
            var r = item.Request;
            if (item.Abort) { if (r.Accepted) Engine.Abort(r); continue; }
            Engine.Submit(r);
            if (_draining) Engine.Abort(r);
        }
    }

    /// <summary>Engine thread, at the end: every request aborted, every copy landed and applied.</summary>
    private void Release()
    {
        try
        {
            DrainInbox();
            Engine.AbortAll();
            var deadline = _clock.Now + 10;
            while (_transfers.InFlight > 0 && _clock.Now < deadline)
            {
                Engine.ApplyFinishedTransfers();
                if (_transfers.InFlight > 0) _clock.SleepUntil(_clock.Now + 0.05); // a landing copy wakes the clock
            }
            Engine.ApplyFinishedTransfers();
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _faults);
            _onFault?.Invoke(e);
        }
    }

    void IEngineObserver.OnToken(Request request, int token, double time) => _observer?.OnToken(request, token, time);

    void IEngineObserver.OnStateChanged(Request request, RequestState from) => _observer?.OnStateChanged(request, from);

    void IEngineObserver.OnIteration(int tokens) => _observer?.OnIteration(tokens);

    void IEngineObserver.OnIdle() => _observer?.OnIdle();

    void IEngineObserver.OnFinished(Request request)
    {
        _observer?.OnFinished(request);
        if (Interlocked.Decrement(ref _live) == 0 && _draining)
        {
            TaskCompletionSource? drained;
            lock (_lifecycle) drained = _drained;
            drained?.TrySetResult();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Stop();
        _transfers.Dispose();
        _owner?.Dispose();
        _clock.Dispose();
    }
}
