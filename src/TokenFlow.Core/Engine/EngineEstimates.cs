using TokenFlow.Core.Execution;

namespace TokenFlow.Core.Engine;

/// <summary>
/// Online model of iteration time, t ≈ s·(a + b·(decode sequences) + c·(prefill tokens)), fitted by
/// recursive least squares with forgetting. The schedulers read decode capacity and per-token
/// prefill cost from it; the write-through sizes its chunks by the predicted iteration time.
/// The fit forgets over a few hundred iterations, too slowly for a machine that suddenly slows
/// down (a neighbour on the CPU, thermal limits), so a fast scale s (the recent ratio of measured
/// to fitted time) follows such a change within a few iterations, and <see cref="Uncertainty"/>
/// (the recent relative error) tells the policy to switch more conservatively meanwhile.
/// </summary>
public sealed class EngineEstimates
{
    private const double Forget = 0.995;
    /// <summary>Weight of the newest iteration in the fast scale and the uncertainty (about 5 iterations of memory).</summary>
    private const double Fast = 0.2;
    private readonly double[] _w;
    private readonly double[,] _p = new double[3, 3];

    public EngineEstimates(double baseSeconds = 0.01, double perDecodeSeconds = 1e-4, double perPrefillTokenSeconds = 1e-4)
    {
        _w = [baseSeconds, perDecodeSeconds, perPrefillTokenSeconds];
        for (var i = 0; i < 3; i++) _p[i, i] = 1e3;
    }

    public int Samples { get; private set; }
    public double LastIterationSeconds { get; private set; }

    /// <summary>Recent measured / fitted iteration time (1 when the fit is current).</summary>
    public double Scale { get; private set; } = 1;
    /// <summary>Recent mean relative error of the prediction, 0 when it is exact.</summary>
    public double Uncertainty { get; private set; }

    public double Base => Scale * Math.Max(_w[0], 1e-6);
    public double PerDecode => Scale * Math.Max(_w[1], 0);
    public double PerPrefillToken => Scale * Math.Max(_w[2], 1e-9);

    public double Predict(int decodeSeqs, int prefillTokens) => Base + PerDecode * decodeSeqs + PerPrefillToken * prefillTokens;

    public double Predict(IReadOnlyList<ScheduledSequence> batch)
    {
        var (d, p) = Count(batch);
        return Predict(d, p);
    }

    /// <summary>Aggregate decode tokens/s with <paramref name="sequences"/> streams in the batch.</summary>
    public double DecodeCapacity(int sequences) => sequences <= 0 ? 0 : sequences / Predict(sequences, 0);

    /// <summary>Seconds to recompute <paramref name="tokens"/> positions of KV with chunks of <paramref name="chunk"/>.</summary>
    public double RecomputeSeconds(int tokens, int chunk) => PerPrefillToken * tokens + Base * Math.Ceiling(tokens / (double)Math.Max(1, chunk));

    public void Observe(IReadOnlyList<ScheduledSequence> batch, double seconds)
    {
        var (d, p) = Count(batch);
        Observe(d, p, seconds);
    }

    public void Observe(int decodeSeqs, int prefillTokens, double seconds)
    {
        LastIterationSeconds = seconds;
        Samples++;
        var fitted = Math.Max(_w[0], 1e-6) + Math.Max(_w[1], 0) * decodeSeqs + Math.Max(_w[2], 1e-9) * prefillTokens;
        if (seconds > 0 && Samples > 1)
        {
            var predicted = Scale * fitted;
            Uncertainty += Fast * (Math.Min(1, Math.Abs(seconds - predicted) / predicted) - Uncertainty);
            Scale += Fast * (Math.Clamp(seconds / fitted, 0.1, 10) - Scale);
            if (Math.Abs(Scale - 1) > 0.1)
            {
                // A lasting change of speed: fold it into the fit, so the fit starts from there.
                for (var i = 0; i < 3; i++) _w[i] *= Scale;
                Scale = 1;
            }
        }
        Span<double> x = [1, decodeSeqs, prefillTokens];
        Span<double> px = stackalloc double[3];
        for (var i = 0; i < 3; i++) { px[i] = 0; for (var j = 0; j < 3; j++) px[i] += _p[i, j] * x[j]; }
        var denom = Forget;
        for (var i = 0; i < 3; i++) denom += x[i] * px[i];
        var err = seconds - (_w[0] + _w[1] * x[1] + _w[2] * x[2]);
        for (var i = 0; i < 3; i++) _w[i] += px[i] / denom * err;
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                _p[i, j] = (_p[i, j] - px[i] * px[j] / denom) / Forget;
    }

    private static (int Decode, int Prefill) Count(IReadOnlyList<ScheduledSequence> batch)
    {
        int d = 0, p = 0;
        foreach (var s in batch)
            if (s.Count == 1 && s.Samples && s.Start >= s.Request.PromptLength) d++;
            else p += s.Count;
        return (d, p);
    }
}
