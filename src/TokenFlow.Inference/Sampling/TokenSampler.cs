using System.Runtime.CompilerServices;
using TokenFlow.Core.Requests;

namespace TokenFlow.Inference.Sampling;

/// <summary>
/// Picks the next token from logits: greedy (argmax, first maximum), or temperature with top-k
/// and top-p. <see cref="SamplingParams.RunCCompatible"/> reproduces llama2.c run.c's sampler
/// exactly: logits/T, softmax, one xorshift draw, then top-p with its (1−p)/(n−1) cut-off and a
/// descending sort, or plain multinomial when p ∉ (0, 1). Scratch is reused: no allocation per token.
/// </summary>
public sealed class TokenSampler
{
    private readonly int[] _index;
    private readonly float[] _prob;
    private readonly IComparer<int> _byProbDesc;

    public TokenSampler(int vocab)
    {
        _index = new int[vocab];
        _prob = new float[vocab];
        _byProbDesc = Comparer<int>.Create((a, b) => _prob[b].CompareTo(_prob[a]) is var c && c != 0 ? c : a.CompareTo(b));
    }

    public static SamplerState StateFor(Request r)
    {
        if (r.SamplerState is SamplerState s) return s;
        s = SamplerState.Create(r.Sampling.Seed);
        r.SamplerState = s;
        return s;
    }

    /// <summary>True when the next token is just the argmax of the raw logits (greedy, nothing else asked).</summary>
    public static bool IsPlainGreedy(Request r) =>
        r.Sampling.Temperature <= 0f && r.Sampling.IsPlain && (r.SamplerState as SamplerState)?.Constraint is null;

    /// <summary>
    /// The full pipeline for one request: bias, penalties, constraint mask, then greedy or the draw
    /// (temperature, min_p, top-k, top-p). <paramref name="work"/> holds a copy of <paramref name="raw"/>
    /// and is overwritten; logprobs, when asked, come from the raw logits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Sample(ReadOnlySpan<float> raw, Span<float> work, Request r, SamplerState state)
    {
        var p = r.Sampling;
        LogitProcessors.ApplyBias(work, p.LogitBias);
        LogitProcessors.ApplyPenalties(work, p, r.PromptTokens, r.OutputTokens, state);
        state.Constraint?.Mask(work, r.MaxTokens - r.Generated);
        int token;
        if (p.Temperature <= 0f) token = Argmax(work);
        else if (p.MinP <= 0f && p.RunCCompatible) token = Sample(work, p, state);
        else
        {
            var n = work.Length;
            for (var i = 0; i < n; i++) work[i] /= p.Temperature;
            Softmax(work);
            LogitProcessors.ApplyMinP(work, p.MinP);
            var coin = state.NextFloat();
            token = p.TopK <= 0 && (p.TopP <= 0 || p.TopP >= 1) ? Multinomial(work, coin) : TopKTopP(work, p.TopK, p.TopP is > 0 and < 1 ? p.TopP : 1f, coin);
        }
        state.Constraint?.Accept(token);
        if (p.Logprobs is { } top) state.Logprobs.Enqueue(LogitProcessors.Logprobs(raw, token, top));
        return token;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        // −∞ (masked) entries never win unless everything is masked.
        var best = 0;
        var max = logits[0];
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > max) { max = logits[i]; best = i; }
        return best;
    }

    /// <summary>Samples from <paramref name="logits"/> (overwritten with probabilities).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Sample(Span<float> logits, SamplingParams p, SamplerState state)
    {
        if (p.Temperature <= 0f) return Argmax(logits);
        var n = logits.Length;
        for (var i = 0; i < n; i++) logits[i] /= p.Temperature;
        Softmax(logits);
        var coin = state.NextFloat();
        if (p.RunCCompatible)
            return p.TopP <= 0 || p.TopP >= 1 ? Multinomial(logits, coin) : TopP(logits, p.TopP, coin, n);
        if (p.TopK <= 0 && (p.TopP <= 0 || p.TopP >= 1)) return Multinomial(logits, coin);
        return TopKTopP(logits, p.TopK, p.TopP is > 0 and < 1 ? p.TopP : 1f, coin);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Softmax(Span<float> x)
    {
        var max = x[0];
        for (var i = 1; i < x.Length; i++) if (x[i] > max) max = x[i];
        var sum = 0f;
        for (var i = 0; i < x.Length; i++) { x[i] = MathF.Exp(x[i] - max); sum += x[i]; }
        for (var i = 0; i < x.Length; i++) x[i] /= sum;
    }

    private static int Multinomial(ReadOnlySpan<float> probs, float coin)
    {
        var cdf = 0f;
        var last = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0) continue;
            cdf += probs[i];
            last = i;
            if (coin < cdf) return i;
        }
        return last; // rounding left the coin above the cdf: the last token with mass, never a masked one
    }

    /// <summary>run.c sample_topp.</summary>
    private int TopP(ReadOnlySpan<float> probs, float topp, float coin, int n)
    {
        var n0 = 0;
        var cutoff = (1.0f - topp) / (n - 1);
        for (var i = 0; i < n; i++)
            if (probs[i] >= cutoff) { _index[n0] = i; _prob[i] = probs[i]; n0++; }
        Array.Sort(_index, 0, n0, _byProbDesc);
        var cumulative = 0f;
        var last = n0 - 1;
        for (var i = 0; i < n0; i++)
        {
            cumulative += _prob[_index[i]];
            if (cumulative > topp) { last = i; break; }
        }
        var r = coin * cumulative;
        var cdf = 0f;
        for (var i = 0; i <= last; i++)
        {
            cdf += _prob[_index[i]];
            if (r < cdf) return _index[i];
        }
        return _index[last];
    }

    /// <summary>Keeps the k most likely tokens (k ≤ 0: all), then the smallest prefix with mass ≥ p, and draws from it renormalised.</summary>
    private int TopKTopP(ReadOnlySpan<float> probs, int topK, float topP, float coin)
    {
        var n = probs.Length;
        // Tokens below (1−p)/(n−1) can never be in the nucleus; dropping them first keeps the sort short.
        var cutoff = topP < 1 ? (1f - topP) / (n - 1) : 0f;
        var n0 = 0;
        for (var i = 0; i < n; i++)
            if (probs[i] > 0 && probs[i] >= cutoff) { _index[n0++] = i; _prob[i] = probs[i]; }
        Array.Sort(_index, 0, n0, _byProbDesc);
        if (topK > 0 && topK < n0) n0 = topK;
        var total = 0f;
        var last = n0 - 1;
        for (var i = 0; i < n0; i++)
        {
            total += _prob[_index[i]];
            if (total >= topP) { last = i; break; }
        }
        var r = coin * total;
        var cdf = 0f;
        for (var i = 0; i <= last; i++)
        {
            cdf += _prob[_index[i]];
            if (r < cdf) return _index[i];
        }
        return _index[last];
    }
}
