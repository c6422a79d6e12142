namespace TokenFlow.Core.Requests;

/// <summary>
/// The virtual reader of one stream (design §2): it starts at the first token and reads one token
/// every 1/r seconds while unread tokens exist, stalling otherwise: c_j = max(a_j, c_{j-1} + 1/r).
/// Read times are fixed when a token arrives, so buffer and slack are exact at any later instant.
/// </summary>
public sealed class ReaderModel
{
    /// <summary>Tolerance for "a token read exactly at t counts as read".</summary>
    public const double Epsilon = 1e-9;

    private double _lastReadTime = double.NegativeInfinity;
    private int _chainLength; // tokens in the current back-to-back run, read 1/r apart ending at _lastReadTime

    public ReaderModel(double rate)
    {
        if (!(rate > 0) || double.IsInfinity(rate)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "consumption rate must be a positive, finite number of tokens/s");
        Rate = rate;
    }

    public double Rate { get; }
    public int Generated { get; private set; }
    public double FirstTokenTime { get; private set; } = double.NaN;
    public double LastTokenTime { get; private set; } = double.NaN;
    public double StallSeconds { get; private set; }

    /// <summary>Records the arrival of the next token at <paramref name="time"/> and returns its read time.</summary>
    public double OnToken(double time)
    {
        double read;
        if (Generated == 0)
        {
            FirstTokenTime = time;
            read = time;
            _chainLength = 1;
        }
        else
        {
            var due = _lastReadTime + 1 / Rate;
            if (time > due + Epsilon)
            {
                StallSeconds += time - due;
                read = time;
                _chainLength = 1;
            }
            else
            {
                read = Math.Max(time, due);
                _chainLength = read == time && time > due ? 1 : _chainLength + 1;
            }
        }
        _lastReadTime = read;
        LastTokenTime = time;
        Generated++;
        return read;
    }

    /// <summary>Tokens read by <paramref name="time"/> (which must not precede the last arrival).</summary>
    public int Consumed(double time)
    {
        if (Generated == 0) return 0;
        var ahead = _lastReadTime - time;
        if (ahead <= Epsilon) return Generated;
        var unread = (int)Math.Ceiling(ahead * Rate - Epsilon);
        return Generated - Math.Min(Math.Min(unread, _chainLength), Generated);
    }

    /// <summary>b(t) = g(t) − c(t): tokens generated but not yet read.</summary>
    public int Buffer(double time) => Generated - Consumed(time);

    /// <summary>s(t) = b(t)/r: seconds until the reader starves if generation stops now.</summary>
    public double Slack(double time) => Buffer(time) / Rate;

    /// <summary>Time at which the reader would finish every token generated so far.</summary>
    public double DrainTime => Generated == 0 ? double.NaN : _lastReadTime;
}
