using TokenFlow.Core.Requests;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server.Dashboard;

/// <summary>Per-second history of the last minutes (tokens delivered, first-token latencies) for the dashboard charts.</summary>
public sealed class DashboardHistory : IRunnerListener
{
    public const int Seconds = 300;
    private readonly long[] _second = new long[Seconds];
    private readonly int[] _tokens = new int[Seconds];
    private readonly double[] _ttftSum = new double[Seconds];
    private readonly int[] _ttftCount = new int[Seconds];
    private readonly object _lock = new();

    private int Slot(double time, out long second)
    {
        second = (long)Math.Floor(time);
        var i = (int)(second % Seconds);
        if (_second[i] != second) { _second[i] = second; _tokens[i] = 0; _ttftSum[i] = 0; _ttftCount[i] = 0; }
        return i;
    }

    public void OnFirstToken(Request request, double ttftSeconds)
    {
        lock (_lock)
        {
            var i = Slot(request.ArrivalTime + ttftSeconds, out _);
            _ttftSum[i] += ttftSeconds;
            _ttftCount[i]++;
        }
    }

    public void OnInterToken(double seconds) { }

    public void OnToken(Request request, double time)
    {
        lock (_lock) _tokens[Slot(time, out _)]++;
    }

    public void OnFinished(Request request, FinishReason reason) { }

    /// <summary>Points for whole seconds in (now − window, now]: tokens/s and mean TTFT (null when no request started).</summary>
    public IReadOnlyList<HistoryPoint> Recent(double now, int window)
    {
        window = Math.Clamp(window, 1, Seconds - 1);
        var last = (long)Math.Floor(now) - 1; // the current second is still filling
        var points = new List<HistoryPoint>(window);
        lock (_lock)
            for (var s = last - window + 1; s <= last; s++)
            {
                if (s < 0) continue;
                var i = (int)(s % Seconds);
                var hit = _second[i] == s;
                points.Add(new HistoryPoint(s, hit ? _tokens[i] : 0, hit && _ttftCount[i] > 0 ? _ttftSum[i] / _ttftCount[i] : null));
            }
        return points;
    }
}

public sealed record HistoryPoint(long T, int Tokens, double? Ttft);
