using TokenFlow.Core.Requests;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server.Dashboard;

/// <summary>
/// Per-second history of the last minutes for the dashboard charts: tokens delivered, TTFT (mean,
/// P50, P99), mean inter-token latency, finished requests, and API errors and 429s. Engine-clock seconds.
/// </summary>
public sealed class DashboardHistory : IRunnerListener
{
    public const int Seconds = 300;
    private const int MaxTtftSamples = 512; // per second; enough for a P99
    private readonly long[] _second = new long[Seconds];
    private readonly int[] _tokens = new int[Seconds];
    private readonly List<double>[] _ttft = new List<double>[Seconds];
    private readonly double[] _itlSum = new double[Seconds];
    private readonly int[] _itlCount = new int[Seconds];
    private readonly int[] _finished = new int[Seconds];
    private readonly int[] _errors = new int[Seconds];
    private readonly int[] _limited = new int[Seconds];
    private readonly object _lock = new();
    private double _lastToken;

    public DashboardHistory()
    {
        for (var i = 0; i < Seconds; i++) _ttft[i] = new List<double>();
    }

    private int Slot(double time)
    {
        var second = (long)Math.Floor(time);
        var i = (int)(((second % Seconds) + Seconds) % Seconds);
        if (_second[i] != second)
        {
            _second[i] = second;
            _tokens[i] = _itlCount[i] = _finished[i] = _errors[i] = _limited[i] = 0;
            _itlSum[i] = 0;
            _ttft[i].Clear();
        }
        return i;
    }

    public void OnFirstToken(Request request, double ttftSeconds)
    {
        lock (_lock)
        {
            var list = _ttft[Slot(request.ArrivalTime + ttftSeconds)];
            if (list.Count < MaxTtftSamples) list.Add(ttftSeconds);
        }
    }

    public void OnInterToken(double seconds)
    {
        if (!double.IsFinite(seconds)) return;
        lock (_lock) { var i = Slot(_lastToken); _itlSum[i] += seconds; _itlCount[i]++; }
    }

    public void OnToken(Request request, double time)
    {
        lock (_lock) { _tokens[Slot(time)]++; _lastToken = time; }
    }

    public void OnFinished(Request request, FinishReason reason)
    {
        if (double.IsNaN(request.FinishTime)) return;
        lock (_lock) _finished[Slot(request.FinishTime)]++;
    }

    /// <summary>An API response: 429s and other errors (4xx/5xx) are charted per second.</summary>
    public void OnHttp(int status, double time)
    {
        if (status < 400) return;
        lock (_lock) { var i = Slot(time); if (status == 429) _limited[i]++; else _errors[i]++; }
    }

    /// <summary>Points for whole seconds in (now − window, now]; latency fields are null in seconds without samples.</summary>
    public IReadOnlyList<HistoryPoint> Recent(double now, int window)
    {
        window = Math.Clamp(window, 1, Seconds - 1);
        var last = (long)Math.Floor(now) - 1; // the current second is still filling
        var points = new List<HistoryPoint>(window);
        var sorted = new List<double>();
        lock (_lock)
            for (var s = last - window + 1; s <= last; s++)
            {
                if (s < 0) continue;
                var i = (int)(s % Seconds);
                if (_second[i] != s) { points.Add(new HistoryPoint(s, 0, null, null, null, null, 0, 0, 0)); continue; }
                double? mean = null, p50 = null, p99 = null;
                if (_ttft[i].Count > 0)
                {
                    sorted.Clear();
                    sorted.AddRange(_ttft[i]);
                    sorted.Sort();
                    mean = Math.Round(sorted.Average(), 4);
                    p50 = Math.Round(Quantile(sorted, 0.5), 4);
                    p99 = Math.Round(Quantile(sorted, 0.99), 4);
                }
                double? itl = _itlCount[i] > 0 ? Math.Round(_itlSum[i] / _itlCount[i], 5) : null;
                points.Add(new HistoryPoint(s, _tokens[i], mean, p50, p99, itl, _finished[i], _errors[i], _limited[i]));
            }
        return points;
    }

    private static double Quantile(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>One second of history: TTFT and ITL in seconds, rates per second.</summary>
public sealed record HistoryPoint(long T, int Tokens, double? Ttft, double? TtftP50, double? TtftP99, double? Itl, int Requests, int Errors, int RateLimited);
