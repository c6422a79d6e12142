using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// Andes's QoE of one stream (Liu et al., 2024, §3). The expected timeline delivers the first token
/// TTFT_exp after arrival and then r tokens/s: E(s) = min(ℓ, 1 + r·(s − a − TTFT_exp)) from then on.
/// The actual timeline counts delivered tokens, but never more than E(s): tokens ahead of the expected
/// pace add nothing, and a stream behind it catches up as fast as tokens come. QoE = ∫A / ∫E over the
/// whole response, so every stream's gain is scaled by its own expected area ℓ²/(2r).
/// </summary>
public static class AndesQoe
{
    private const int Samples = 8;

    /// <summary>
    /// The QoE gain of serving the stream over [now, now + horizon] rather than pausing it:
    /// (∫A_serve − ∫A_wait) over the window, over ∫E of a response of <paramref name="expectedLength"/>
    /// tokens. Serving delivers a token every <paramref name="tokenSeconds"/> after
    /// <paramref name="startDelay"/> (the prefill or recompute).
    /// </summary>
    public static double Gain(Request r, double now, double horizon, double tokenSeconds, double startDelay, double expectedTtft, double expectedLength)
    {
        var due = r.ArrivalTime + expectedTtft;
        var length = Math.Max(expectedLength, r.Generated + 1);
        var expectedArea = Square(length) / (2 * r.Rate);
        var generated = r.Generated;
        var dt = horizon / Samples;
        var gained = 0.0;
        for (var i = 0; i < Samples; i++)
        {
            var s = now + (i + 0.5) * dt;
            var expected = s < due ? 0 : Math.Min(length, 1 + r.Rate * (s - due));
            var since = s - now - startDelay;
            var served = since < 0 ? generated : generated + 1 + since / tokenSeconds;
            gained += (Math.Min(served, expected) - Math.Min(generated, expected)) * dt;
        }
        return gained / expectedArea;
    }

    /// <summary>ℓ: the mean length of finished responses so far, within the request's max_tokens.</summary>
    public static double ExpectedLength(Request r, double meanFinished) =>
        Math.Min(r.MaxTokens, double.IsFinite(meanFinished) ? meanFinished : r.MaxTokens);

    private static double Square(double x) => x * x;
}
