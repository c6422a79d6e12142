using System.Runtime.CompilerServices;
using TokenFlow.Core.Requests;

namespace TokenFlow.Inference.Sampling;

/// <summary>
/// The steps before the draw, in vLLM's order: logit bias, then repetition, frequency and presence
/// penalties, then a constraint's mask. All in place on the logits; counts live in the request's
/// <see cref="SamplerState"/> and are updated incrementally, so no per-token allocation.
/// </summary>
public static class LogitProcessors
{
    public static void ApplyBias(Span<float> logits, IReadOnlyDictionary<int, float>? bias)
    {
        if (bias is null) return;
        // A concrete Dictionary enumerates without allocating; through the interface it would box per token.
        if (bias is Dictionary<int, float> d)
        {
            foreach (var (token, b) in d)
                if ((uint)token < (uint)logits.Length) logits[token] += b;
            return;
        }
        foreach (var (token, b) in bias)
            if ((uint)token < (uint)logits.Length) logits[token] += b;
    }

    /// <summary>
    /// Repetition (HF/vLLM: over prompt and output, logit/p if positive else logit·p), then OpenAI's
    /// frequency (−f·count) and presence (−p if present) over the output only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyPenalties(Span<float> logits, SamplingParams p, IReadOnlyList<int> prompt, IReadOnlyList<int> output, SamplerState state)
    {
        var rep = p.RepetitionPenalty != 1f;
        if (!rep && p.FrequencyPenalty == 0 && p.PresencePenalty == 0) return;
        var n = logits.Length;
        state.OutputCounts ??= new int[n];
        if (rep) state.Seen ??= new bool[n];
        if (state.Counted < 0)
        {
            if (state.Seen is { } seen) foreach (var t in prompt) if ((uint)t < (uint)n) seen[t] = true;
            state.Counted = 0;
        }
        for (; state.Counted < output.Count; state.Counted++)
        {
            var t = output[state.Counted];
            if ((uint)t >= (uint)n) continue;
            state.OutputCounts[t]++;
            if (state.Seen is { } seen) seen[t] = true;
        }
        var counts = state.OutputCounts;
        for (var i = 0; i < n; i++)
        {
            var x = logits[i];
            if (rep && state.Seen![i]) x = x > 0 ? x / p.RepetitionPenalty : x * p.RepetitionPenalty;
            var c = counts[i];
            if (c > 0) x -= p.FrequencyPenalty * c + p.PresencePenalty;
            logits[i] = x;
        }
    }

    /// <summary>log-softmax of <paramref name="logits"/> at <paramref name="token"/>, and the <paramref name="top"/> best (token, logprob) pairs, best first (ties: lower id).</summary>
    public static TokenLogprobs Logprobs(ReadOnlySpan<float> logits, int token, int top)
    {
        var lse = LogSumExp(logits);
        top = Math.Clamp(top, 0, logits.Length);
        var ids = new int[top];
        var lps = new float[top];
        var filled = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var x = logits[i];
            if (filled == top && (top == 0 || x <= logits[ids[top - 1]])) continue;
            var at = filled < top ? filled++ : top - 1;
            while (at > 0 && logits[ids[at - 1]] < x) { ids[at] = ids[at - 1]; at--; }
            ids[at] = i;
        }
        for (var i = 0; i < top; i++) lps[i] = (float)(logits[ids[i]] - lse);
        return new TokenLogprobs(token, (float)(logits[token] - lse), ids, lps);
    }

    /// <summary>log Σ exp(x), in double for a stable sum over large vocabularies.</summary>
    public static double LogSumExp(ReadOnlySpan<float> x)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x) if (v > max) max = v;
        if (float.IsNegativeInfinity(max)) return double.NegativeInfinity;
        var sum = 0.0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>min_p: zeroes probabilities below minP × the largest and renormalises.</summary>
    public static void ApplyMinP(Span<float> probs, float minP)
    {
        if (minP <= 0) return;
        var max = 0f;
        foreach (var v in probs) if (v > max) max = v;
        var cut = minP * max;
        var sum = 0f;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] < cut) probs[i] = 0;
            sum += probs[i];
        }
        if (sum > 0) for (var i = 0; i < probs.Length; i++) probs[i] /= sum;
    }
}
