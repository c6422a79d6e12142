using TokenFlow.Core.Execution;

namespace TokenFlow.Core.Engine;

/// <summary>
/// Online model of iteration time, t ≈ a + b·(decode sequences) + c·(prefill tokens), fitted by
/// recursive least squares with forgetting. The schedulers read decode capacity and per-token
/// prefill cost from it; the write-through sizes its chunks by the predicted iteration time.
/// </summary>
public sealed class EngineEstimates
{
    private const double Forget = 0.995;
    private readonly double[] _w;
    private readonly double[,] _p = new double[3, 3];

    public EngineEstimates(double baseSeconds = 0.01, double perDecodeSeconds = 1e-4, double perPrefillTokenSeconds = 1e-4)
    {
        _w = [baseSeconds, perDecodeSeconds, perPrefillTokenSeconds];
        for (var i = 0; i < 3; i++) _p[i, i] = 1e3;
    }

    public int Samples { get; private set; }
    public double LastIterationSeconds { get; private set; }

    public double Base => Math.Max(_w[0], 1e-6);
    public double PerDecode => Math.Max(_w[1], 0);
    public double PerPrefillToken => Math.Max(_w[2], 1e-9);

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
