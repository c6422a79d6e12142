using System.Collections.Concurrent;
using System.Diagnostics;
using TokenFlow.Core.Time;

namespace TokenFlow.Core.Transfers;

/// <summary>
/// Real copies, one thread per direction, overlapped with compute on the engine thread. An optional
/// bandwidth cap stretches each copy to bytes/cap seconds to emulate a PCIe link.
/// </summary>
public sealed class ThreadedTransferEngine : ITransferEngine, IDisposable
{
    private readonly IClock _clock;
    private readonly IKvBlockCopier _copier;
    private readonly Lane _h2d, _d2h;
    private readonly ConcurrentQueue<TransferJob> _done = new();
    private int _inFlight;

    public ThreadedTransferEngine(IClock clock, IKvBlockCopier copier, double? bandwidthCapBytesPerSecond = null)
    {
        _clock = clock;
        _copier = copier;
        _h2d = new Lane(this, toHost: false, bandwidthCapBytesPerSecond);
        _d2h = new Lane(this, toHost: true, bandwidthCapBytesPerSecond);
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Submit(TransferJob job)
    {
        job.SubmitTime = _clock.Now;
        Interlocked.Increment(ref _inFlight);
        (job.Kind.IsToHost() ? _d2h : _h2d).Enqueue(job);
    }

    public void Poll(List<TransferJob> completed)
    {
        while (_done.TryDequeue(out var job))
        {
            completed.Add(job);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public double? NextCompletionTime => null;

    /// <summary>Each lane wakes the clock when a copy lands.</summary>
    public bool WakesClockOnCompletion => true;

    public double EstimateCompletionDelay(TransferKind kind, long bytes)
    {
        var lane = kind.IsToHost() ? _d2h : _h2d;
        return (lane.QueuedBytes(kind) + bytes) / lane.Bandwidth;
    }

    public double Bandwidth(bool toHost) => (toHost ? _d2h : _h2d).Bandwidth;

    public void Dispose()
    {
        _h2d.Dispose();
        _d2h.Dispose();
    }

    private sealed class Lane : IDisposable
    {
        private readonly ThreadedTransferEngine _owner;
        private readonly bool _toHost;
        private readonly double? _cap;
        private readonly PriorityQueue<TransferJob, (int, long)> _queue = new();
        private readonly Thread _thread;
        private bool _stopping;
        private double _measured = 5e9; // bytes/s until the first copy is timed

        public Lane(ThreadedTransferEngine owner, bool toHost, double? cap)
        {
            _owner = owner;
            _toHost = toHost;
            _cap = cap;
            if (cap is { } c) _measured = c;
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Name ??= toHost ? "kv-d2h" : "kv-h2d"; // a harness that names its threads (Coyote) keeps its name
            _thread.Start();
        }

        public double Bandwidth => Volatile.Read(ref _measured);

        public void Enqueue(TransferJob job)
        {
            lock (_queue)
            {
                _queue.Enqueue(job, ((int)job.Kind, job.Id));
                Monitor.Pulse(_queue);
            }
        }

        public long QueuedBytes(TransferKind upTo)
        {
            long sum = 0;
            lock (_queue)
                foreach (var (job, _) in _queue.UnorderedItems)
                    if (job.Kind <= upTo) sum += job.Bytes;
            return sum;
        }

        private void Run()
        {
            while (true)
            {
                TransferJob job;
                lock (_queue)
                {
                    while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                    if (_stopping) return;
                    job = _queue.Dequeue();
                }
                job.StartTime = _owner._clock.Now;
                var sw = Stopwatch.StartNew();
                _owner._copier.Copy(_toHost, job.SourceBlocks, job.DestinationBlocks);
                if (_cap is { } cap)
                {
                    var target = job.Bytes / cap;
                    while (sw.Elapsed.TotalSeconds < target) Thread.Sleep(TimeSpan.FromSeconds(Math.Min(0.002, target - sw.Elapsed.TotalSeconds)));
                }
                var seconds = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
                if (job.Bytes > 0) Volatile.Write(ref _measured, 0.8 * _measured + 0.2 * (job.Bytes / seconds));
                job.CompleteTime = _owner._clock.Now;
                _owner._done.Enqueue(job);
                _owner._clock.Wake();
            }
        }

        public void Dispose()
        {
            lock (_queue)
            {
                _stopping = true;
                Monitor.PulseAll(_queue);
            }
            _thread.Join();
        }
    }
}
