using System.Collections.Concurrent;
using TokenFlow.Core.Requests;

namespace TokenFlow.Bench;

/// <summary>
/// Live counters for the progress display, updated by the request tasks. Each open stream has a
/// <see cref="ReaderModel"/> (design §2), so the display can show how many readers are buffered or starving.
/// </summary>
public sealed class BenchProgress
{
    private readonly ConcurrentDictionary<string, ReaderModel> _readers = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly object _ttftLock = new();
    private readonly List<double> _ttfts = [];
    private int _sent, _streaming, _done, _failed;
    private long _tokens;

    public int Planned { get; init; }
    public int Sent => Volatile.Read(ref _sent);
    public int Streaming => Volatile.Read(ref _streaming);
    public int Done => Volatile.Read(ref _done);
    public int Failed => Volatile.Read(ref _failed);
    public long Tokens => Interlocked.Read(ref _tokens);
    public IReadOnlyDictionary<string, int> Errors => _errors;

    public void OnSent() => Interlocked.Increment(ref _sent);

    public void OnFirstToken(string id, double ttft, double rate, double time)
    {
        Interlocked.Increment(ref _streaming);
        lock (_ttftLock) _ttfts.Add(ttft);
        var reader = new ReaderModel(rate);
        _readers[id] = reader;
        OnTokens(id, time, 1);
    }

    public void OnTokens(string id, double time, int count)
    {
        Interlocked.Add(ref _tokens, count);
        if (!_readers.TryGetValue(id, out var r)) return;
        lock (r) for (var i = 0; i < count; i++) r.OnToken(time);
    }

    public void OnFinished(string id, bool started, string? errorKind)
    {
        if (started)
        {
            Interlocked.Decrement(ref _streaming);
            _readers.TryRemove(id, out _);
        }
        if (errorKind is null) Interlocked.Increment(ref _done);
        else
        {
            Interlocked.Increment(ref _failed);
            _errors.AddOrUpdate(errorKind, 1, (_, n) => n + 1);
        }
    }

    /// <summary>TTFT mean and P50 so far, and the latest one (seconds); NaN before the first token.</summary>
    public (double Mean, double P50, double Last) TtftSnapshot()
    {
        lock (_ttftLock)
        {
            if (_ttfts.Count == 0) return (double.NaN, double.NaN, double.NaN);
            var sorted = _ttfts.ToArray();
            Array.Sort(sorted);
            return (_ttfts.Average(), Core.Metrics.Percentiles.Of(sorted, 50), _ttfts[^1]);
        }
    }

    /// <summary>Tokens buffered ahead of the open streams' readers, and how many readers have nothing to read.</summary>
    public (long Buffered, int Starving) ReaderSnapshot(double now)
    {
        long buffered = 0;
        var starving = 0;
        foreach (var r in _readers.Values)
            lock (r)
            {
                if (r.Generated == 0 || now < r.LastTokenTime) continue;
                var b = r.Buffer(now);
                buffered += b;
                if (b == 0) starving++;
            }
        return (buffered, starving);
    }
}
