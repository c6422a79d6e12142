using TokenFlow.Core.Time;

namespace TokenFlow.Core.Transfers;

/// <summary>
/// Transfer lanes in virtual time: each direction is one link that serves one job at a time,
/// highest priority first. Completion is computed, not waited for; an optional copier still moves
/// the bytes at submit time so a real arena stays correct.
/// </summary>
public sealed class VirtualTransferEngine(IClock clock, LinkModel toDevice, LinkModel toHost, IKvBlockCopier? copier = null) : ITransferEngine
{
    private readonly Link _h2d = new(toDevice);
    private readonly Link _d2h = new(toHost);
    private readonly List<TransferJob> _done = new();

    public int InFlight => _h2d.Count + _d2h.Count + _done.Count;

    public void Submit(TransferJob job)
    {
        var now = clock.Now;
        Advance(now);
        job.SubmitTime = now;
        copier?.Copy(job.Kind.IsToHost(), job.SourceBlocks, job.DestinationBlocks);
        LinkFor(job).Enqueue(job, now);
    }

    public void Poll(List<TransferJob> completed)
    {
        Advance(clock.Now);
        completed.AddRange(_done);
        _done.Clear();
    }

    public double? NextCompletionTime
    {
        get
        {
            if (_done.Count > 0) return clock.Now;
            double? a = _h2d.CurrentFinish, b = _d2h.CurrentFinish;
            if (a is null) return b;
            if (b is null) return a;
            return Math.Min(a.Value, b.Value);
        }
    }

    public double EstimateCompletionDelay(TransferKind kind, long bytes)
    {
        var link = kind.IsToHost() ? _d2h : _h2d;
        return link.BacklogAhead(kind, clock.Now) + link.Model.Duration(bytes, 1);
    }

    public double Bandwidth(bool toHost) => (toHost ? _d2h : _h2d).Model.BytesPerSecond;

    private Link LinkFor(TransferJob job) => job.Kind.IsToHost() ? _d2h : _h2d;

    private void Advance(double now)
    {
        _h2d.Advance(now, _done);
        _d2h.Advance(now, _done);
    }

    private sealed class Link(LinkModel model)
    {
        private readonly PriorityQueue<TransferJob, (int, long)> _queue = new();
        private TransferJob? _current;

        public LinkModel Model => model;
        public int Count => _queue.Count + (_current is null ? 0 : 1);
        public double? CurrentFinish => _current?.CompleteTime;

        public void Enqueue(TransferJob job, double now)
        {
            _queue.Enqueue(job, ((int)job.Kind, job.Id));
            if (_current is null) StartNext(now);
        }

        public void Advance(double now, List<TransferJob> done)
        {
            while (_current is not null && _current.CompleteTime <= now)
            {
                done.Add(_current);
                var freeAt = _current.CompleteTime;
                _current = null;
                StartNext(freeAt);
            }
        }

        /// <summary>Seconds until the link would start a new job of this kind.</summary>
        public double BacklogAhead(TransferKind kind, double now)
        {
            var t = _current is null ? 0 : Math.Max(0, _current.CompleteTime - now);
            foreach (var (job, _) in _queue.UnorderedItems)
                if (job.Kind <= kind) t += model.Duration(job.Bytes, job.SourceBlocks.Length);
            return t;
        }

        private void StartNext(double at)
        {
            if (!_queue.TryDequeue(out var job, out _)) return;
            job.StartTime = Math.Max(at, job.SubmitTime);
            job.CompleteTime = job.StartTime + model.Duration(job.Bytes, job.SourceBlocks.Length);
            _current = job;
        }
    }
}
