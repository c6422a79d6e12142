using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// Andes's QoE of one stream (Liu et al., 2024, §3). The expected timeline delivers the first token
/// TTFT_exp after arrival and then r tokens/s: E(s) = r·max(0, s − a − TTFT_exp). The actual timeline
/// is what the reader has digested by s, D(s), never more than E(s) (tokens ahead of the expected
/// pace add nothing). QoE = ∫D / ∫E, both from arrival.
/// </summary>
public static class AndesQoe
{
    private const int Samples = 8;

    /// <summary>
    /// The QoE gain of serving the stream over [now, now + horizon] rather than pausing it:
    /// (∫D_serve − ∫D_wait) / ∫E, all up to now + horizon. Serving delivers a token every
    /// <paramref name="tokenSeconds"/> after <paramref name="startDelay"/> (the prefill or recompute).
    /// </summary>
    public static double Gain(Request r, double now, double horizon, double tokenSeconds, double startDelay, double expectedTtft)
    {
        var due = r.ArrivalTime + expectedTtft;
        var end = now + horizon;
        var expectedArea = r.Rate * Square(Math.Max(0, end - due)) / 2;
        if (expectedArea <= 0) return 0;
        var generated = r.Generated;
        var consumed = r.Reader.Consumed(now);
        var dt = horizon / Samples;
        var gained = 0.0;
        for (var i = 0; i < Samples; i++)
        {
            var s = now + (i + 0.5) * dt;
            var expected = r.Rate * Math.Max(0, s - due);
            var served = Digested(r.Rate, generated, consumed, Delivered(generated, s - now - startDelay, tokenSeconds), s - now, s - now - startDelay);
            var waited = Digested(r.Rate, generated, consumed, generated, s - now, double.NegativeInfinity);
            gained += (Math.Min(served, expected) - Math.Min(waited, expected)) * dt;
        }
        return gained / expectedArea;
    }

    /// <summary>Tokens delivered by a server that starts producing <paramref name="since"/> seconds ago, one per <paramref name="tokenSeconds"/>.</summary>
    private static double Delivered(int generated, double since, double tokenSeconds) =>
        since < 0 ? generated : generated + 1 + since / tokenSeconds;

    /// <summary>The reader takes r tokens/s of what has been delivered; a reader not started begins at its first token.</summary>
    private static double Digested(double rate, int generated, int consumed, double delivered, double elapsed, double sinceFirstToken)
    {
        if (generated > 0) return Math.Min(delivered, consumed + rate * elapsed);
        return sinceFirstToken < 0 ? 0 : Math.Min(delivered, 1 + rate * sinceFirstToken);
    }

    private static double Square(double x) => x * x;
}
