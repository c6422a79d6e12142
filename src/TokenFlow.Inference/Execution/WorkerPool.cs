using System.Runtime.ExceptionServices;

namespace TokenFlow.Inference.Execution;

/// <summary>
/// A tiny fork-join pool for the forward pass: the caller plus N−1 dedicated threads claim items
/// of a job. The caller never waits for a helper to wake up: it claims whatever is left itself
/// and waits only for items already started, so an oversubscribed machine (a descheduled helper)
/// costs at most one item's time. Claims are a CAS on (generation, next item); jobs alternate
/// between two slots, and a helper holding a stale view fails its CAS, so it can never run an
/// item of the wrong job. Helpers spin briefly between jobs, then block. Which thread computes an
/// item never changes its result.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private const int SpinIterations = 2000;
    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private readonly IParallelJob?[] _job = new IParallelJob?[2];
    private readonly int[] _items = new int[2];
    private readonly int[] _finished = new int[2];
    private long _word; // generation << 32 | next unclaimed item
    private volatile bool _stopping;
    private volatile int _sleepers;
    private ExceptionDispatchInfo? _error;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _threads = new Thread[Threads - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            var index = i + 1;
            _threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"cpu-exec-{index}" };
            _threads[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs items [0, count) and returns when all are done. <paramref name="parallel"/> false runs them inline.</summary>
    public void Run(IParallelJob job, int count, bool parallel = true)
    {
        if (!parallel || Threads == 1 || count <= 1)
        {
            for (var i = 0; i < count; i++) job.Execute(i, 0);
            return;
        }
        var gen = (int)(Volatile.Read(ref _word) >> 32) + 1;
        var slot = gen & 1;
        _job[slot] = job;
        _items[slot] = count;
        Volatile.Write(ref _finished[slot], 0);
        Volatile.Write(ref _word, (long)gen << 32); // publishes the slot's fields
        if (_sleepers > 0) lock (_gate) Monitor.PulseAll(_gate);
        while (TryRunOne(gen, 0)) { }
        var spin = new SpinWait();
        while (Volatile.Read(ref _finished[slot]) < count) spin.SpinOnce(sleep1Threshold: -1);
        _job[slot] = null;
        if (_error is { } e) { _error = null; e.Throw(); }
    }

    /// <summary>Claims and runs one item of generation <paramref name="gen"/>; false when none is left (or the generation moved on).</summary>
    private bool TryRunOne(int gen, int worker)
    {
        while (true)
        {
            var word = Volatile.Read(ref _word);
            if ((int)(word >> 32) != gen) return false;
            var slot = gen & 1;
            var job = _job[slot];
            var items = _items[slot];
            var item = (int)word;
            if (item >= items || job is null) return false;
            if (Interlocked.CompareExchange(ref _word, word + 1, word) != word) continue;
            try { job.Execute(item, worker); }
            catch (Exception e) { _error ??= ExceptionDispatchInfo.Capture(e); }
            Interlocked.Increment(ref _finished[slot]);
            return true;
        }
    }

    private void Loop(int worker)
    {
        var seen = 0;
        while (!_stopping)
        {
            var gen = (int)(Volatile.Read(ref _word) >> 32);
            if (gen != seen)
            {
                seen = gen;
                while (TryRunOne(gen, worker)) { }
                continue;
            }
            var spins = 0;
            while ((int)(Volatile.Read(ref _word) >> 32) == seen && !_stopping)
            {
                if (++spins < SpinIterations) Thread.SpinWait(40);
                else
                {
                    lock (_gate)
                    {
                        _sleepers++;
                        while ((int)(Volatile.Read(ref _word) >> 32) == seen && !_stopping) Monitor.Wait(_gate, 50);
                        _sleepers--;
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _threads) t.Join();
    }
}
