using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Engine;

/// <summary>
/// The iteration loop: schedule → start transfers → execute → deliver tokens → update readers.
/// It talks to the world only through <see cref="IClock"/>, <see cref="IExecutor"/> and
/// <see cref="ITransferEngine"/>; the simulator and the real server drive the same code.
/// Not thread-safe: everything, <see cref="Submit"/> and <see cref="Abort"/> included, runs on the
/// engine thread, which owns every request's state. A real-time driver (the engine host) feeds it
/// from its one inbox.
/// </summary>
public sealed class LlmEngine
{
    private readonly IClock _clock;
    private readonly IExecutor _executor;
    private readonly IScheduler _scheduler;
    private readonly IEngineObserver? _observer;
    private readonly List<Request> _waiting = new();
    private readonly List<Request> _active = new();
    private readonly List<ScheduledSequence> _batch = new();
    private readonly List<TransferJob> _completed = new();
    private readonly List<Request> _byBuffer = new();
    private readonly SchedulerContext _context;
    private int[] _sampled = new int[64];
    private volatile EngineSnapshot _snapshot = EngineSnapshot.Empty;
    private double _lastSnapshot = double.NegativeInfinity;
    private bool _idleSnapshot;

    public LlmEngine(EngineOptions options, IClock clock, IExecutor executor, ITransferEngine transfers, IScheduler scheduler, IEngineObserver? observer = null)
    {
        Options = options;
        _clock = clock;
        _executor = executor;
        _scheduler = scheduler;
        _observer = observer;
        Kv = new KvCacheManager(options.Kv, transfers, executor.KvBytesPerBlock, KvStateTransitions.Instance);
        _context = new SchedulerContext(options, Kv, Estimates, _waiting, _active, Counters);
    }

    public EngineOptions Options { get; }
    public KvCacheManager Kv { get; }
    public EngineEstimates Estimates { get; } = new();
    public EngineCounters Counters { get; } = new();
    public IScheduler Scheduler => _scheduler;
    public IClock Clock => _clock;

    /// <summary>Seconds between dashboard snapshots (0 takes one every iteration).</summary>
    public double SnapshotInterval { get; init; } = 0.1;

    /// <summary>Latest picture of the engine; safe to read from any thread.</summary>
    public EngineSnapshot Snapshot => _snapshot;

    public int WaitingCount => _waiting.Count;
    public int ActiveCount => _active.Count;
    public bool HasWork => _waiting.Count > 0 || _active.Count > 0;
    public IReadOnlyList<Request> Active => _active;
    public IReadOnlyList<Request> Waiting => _waiting;

    /// <summary>Accepts a new request into the waiting queue (engine thread).</summary>
    public void Submit(Request request)
    {
        if (request.Accepted || request.State != RequestState.Waiting) throw new InvalidOperationException($"{request} was already submitted");
        request.Accepted = true;
        request.Observer = _observer;
        Counters.SubmittedRequests++;
        Counters.SubmittedPromptTokens += request.PromptLength;
        SchedulerContext.InsertByArrival(_waiting, request);
    }

    /// <summary>Aborts a request wherever it is and frees its blocks (engine thread). A request that already ended is left alone.</summary>
    public void Abort(Request request)
    {
        if (!request.Accepted) throw new InvalidOperationException($"{request} was never submitted");
        if (!request.State.IsTerminal()) Finish(request, FinishReason.Abort);
    }

    /// <summary>Runs one iteration. Returns false when there was nothing to compute.</summary>
    public bool Step()
    {
        ApplyFinishedTransfers();
        Kv.StartPendingLoads();

        _context.Now = _clock.Now;
        _context.Iteration = Counters.Iterations;
        _batch.Clear();
        _scheduler.Schedule(_context, _batch);
        if (_batch.Count == 0)
        {
            // Going idle: record the idle picture once, or a dashboard would show the last busy one.
            TakeSnapshot(force: !_idleSnapshot);
            _idleSnapshot = true;
            return false;
        }
        _idleSnapshot = false;

        ScheduleWriteThrough();
        if (_sampled.Length < _batch.Count) _sampled = new int[Math.Max(_batch.Count, _sampled.Length * 2)];
        var sampled = _sampled.AsSpan(0, _batch.Count);
        sampled.Fill(-1);
        var start = _clock.Now;
        _executor.Execute(_batch, sampled);
        var end = _clock.Now;
        Estimates.Observe(_batch, end - start);
        Counters.Iterations++;
        Counters.BusySeconds += end - start;
        if (_observer is not null)
        {
            var computed = 0;
            foreach (var s in _batch) computed += s.Count;
            _observer.OnIteration(computed);
        }

        for (var i = 0; i < _batch.Count; i++)
        {
            var s = _batch[i];
            var r = s.Request;
            if (r.State.IsTerminal()) continue;
            if (double.IsNaN(r.FirstScheduledTime)) r.FirstScheduledTime = start;
            r.NumComputed = s.Start + s.Count;
            if (s.Start < r.PromptLength) Counters.PromptTokens += Math.Min(r.PromptLength, s.Start + s.Count) - s.Start;
            if (sampled[i] >= 0 && s.Samples)
            {
                var token = sampled[i];
                r.AppendToken(token, end);
                Counters.GeneratedTokens++;
                _observer?.OnToken(r, token, end);
                if (ShouldFinish(r, token)) { Finish(r, r.Generated >= r.MaxTokens && !IsStop(r, token) ? FinishReason.Length : FinishReason.Stop); continue; }
            }
            var next = r.RemainingToCompute > 1 ? RequestState.Prefilling : RequestState.Running;
            if (r.State != next) r.MoveTo(next);
        }
        TakeSnapshot(force: false);
        return true;
    }

    /// <summary>Runs only the policy's decision on the current state, executing nothing (benchmarks).</summary>
    internal void ScheduleOnly(List<ScheduledSequence> batch)
    {
        _context.Now = _clock.Now;
        _context.Iteration = long.MaxValue / 2 + ++_dryRuns;
        batch.Clear();
        _scheduler.Schedule(_context, batch);
    }

    private long _dryRuns;

    /// <summary>When the engine next has something to do if no request arrives: a copy lands or the policy re-plans.</summary>
    public double NextEventTime
    {
        get
        {
            var t = _scheduler.NextDecisionTime;
            if (Kv.Transfers.NextCompletionTime is { } c) t = Math.Min(t, c);
            else if (Kv.Transfers.InFlight > 0 && !Kv.Transfers.WakesClockOnCompletion) t = Math.Min(t, _clock.Now + 0.001);
            return t;
        }
    }

    /// <summary>Aborts and releases everything (shutdown).</summary>
    public void AbortAll()
    {
        foreach (var r in _waiting.Concat(_active).ToArray()) Finish(r, FinishReason.Abort);
    }

    /// <summary>Checks the KV invariants over every live request (tests and debugging).</summary>
    public void ValidateKv() => Kv.Validate(_active.Concat(_waiting));

    /// <summary>Applies every copy that has landed (each step, and at shutdown so that pinned blocks return to the free lists).</summary>
    public void ApplyFinishedTransfers()
    {
        _completed.Clear();
        Kv.Transfers.Poll(_completed);
        foreach (var job in _completed) Kv.OnTransferComplete(job);
    }

    private void ScheduleWriteThrough()
    {
        if (!Kv.Options.WriteThrough || !_scheduler.UsesHostTier) return;
        _byBuffer.Clear();
        var now = _clock.Now;
        foreach (var s in _batch)
            if (s.Request.State.IsResident() && Kv.HasUnsyncedFullBlocks(s.Request)) _byBuffer.Add(s.Request);
        if (_byBuffer.Count == 0) return;
        _byBuffer.Sort((a, b) => b.Reader.Buffer(now).CompareTo(a.Reader.Buffer(now)));
        Kv.ScheduleWriteThrough(_byBuffer, Estimates.Predict(_batch));
    }

    private bool ShouldFinish(Request r, int token) => r.Generated >= r.MaxTokens || IsStop(r, token);

    private bool IsStop(Request r, int token)
    {
        if (r.IgnoreEos || r.Generated < r.MinTokens) return false;
        return token == _executor.EosTokenId || (r.StopTokenIds?.Contains(token) ?? false);
    }

    private void Finish(Request r, FinishReason reason)
    {
        Kv.Release(r);
        if (_waiting.Remove(r)) Counters.AbortedWaitingPromptTokens += r.PromptLength;
        _active.Remove(r);
        r.FinishReason = reason;
        r.FinishTime = _clock.Now;
        r.MoveTo(reason == FinishReason.Abort ? RequestState.Aborted : RequestState.Finished);
        if (reason == FinishReason.Abort) Counters.AbortedRequests++;
        else
        {
            Counters.FinishedRequests++;
            Counters.FinishedOutputTokens += r.Generated;
            Counters.FinishedContextTokens += r.TotalTokens;
        }
        _observer?.OnFinished(r);
    }

    private void TakeSnapshot(bool force)
    {
        var now = _clock.Now;
        if (double.IsPositiveInfinity(SnapshotInterval) || (!force && now - _lastSnapshot < SnapshotInterval)) return;
        _lastSnapshot = now;
        var streams = new List<StreamSnapshot>(_active.Count + _waiting.Count);
        int running = 0, paused = 0;
        foreach (var r in _active)
        {
            if (r.State.IsResident()) running++; else paused++;
            streams.Add(new StreamSnapshot(r.Id, r.State, r.Generated, r.Reader.Buffer(now), r.Reader.Slack(now), r.Rate, r.ArrivalTime));
        }
        foreach (var r in _waiting) streams.Add(new StreamSnapshot(r.Id, r.State, 0, 0, 0, r.Rate, r.ArrivalTime));
        _snapshot = new EngineSnapshot(now, streams, _waiting.Count, running, paused,
            Kv.Device.UsedCount, Kv.Device.Total, Kv.Host.UsedCount, Kv.Host.Total, Kv.BytesToHost, Kv.BytesToDevice,
            Counters.SwapPreemptions, Counters.RecomputePreemptions, Counters.PromptTokens, Counters.GeneratedTokens);
    }
}
