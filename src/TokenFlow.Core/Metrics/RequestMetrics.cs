namespace TokenFlow.Core.Metrics;

/// <summary>Per-request figures of design §3.</summary>
public sealed record RequestMetrics(string Id, double Ttft, double StallSeconds, double EffectiveTokens, int Tokens, double[] Gaps, double[] ReadTimes, int[] BufferAtToken);

public static class RequestMetricsCalculator
{
    /// <summary>
    /// Replays the reader of design §2 over one request's token arrivals. B_ij counts tokens
    /// generated before j minus those read by a_j (a read at exactly a_j counts as read).
    /// </summary>
    public static RequestMetrics Compute(RequestTrace t, MetricsOptions? options = null)
    {
        options ??= new MetricsOptions();
        var n = t.TokenTimes.Count;
        var reads = new double[n];
        var buffers = new int[n];
        var gaps = new double[Math.Max(0, n - 1)];
        if (n == 0) return new RequestMetrics(t.Id, double.NaN, 0, 0, 0, gaps, reads, buffers);
        var period = 1 / t.Rate;
        double stall = 0, effective = 0;
        var full = options.FullWeightBufferFraction * n;
        var zero = options.ZeroWeightBufferFraction * n;
        var readPointer = 0; // tokens read by the current arrival
        for (var j = 0; j < n; j++)
        {
            var a = t.TokenTimes[j];
            if (j == 0) reads[0] = a;
            else
            {
                gaps[j - 1] = a - t.TokenTimes[j - 1];
                var due = reads[j - 1] + period;
                if (a > due + 1e-9) stall += a - due;
                reads[j] = Math.Max(a, due);
            }
            while (readPointer < j && reads[readPointer] <= a + 1e-9) readPointer++;
            var b = j - readPointer;
            buffers[j] = b;
            effective += j == 0 ? 1 : Weight(b, full, zero);
        }
        return new RequestMetrics(t.Id, t.TokenTimes[0] - t.ArrivalTime, stall, effective, n, gaps, reads, buffers);
    }

    /// <summary>w = 1 up to <paramref name="full"/>, falling linearly to 0 at <paramref name="zero"/>.</summary>
    public static double Weight(double buffer, double full, double zero)
    {
        if (buffer <= full) return 1;
        if (buffer >= zero) return 0;
        return 1 - (buffer - full) / (zero - full);
    }
}
