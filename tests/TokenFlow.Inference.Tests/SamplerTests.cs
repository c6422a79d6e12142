using System.Text;
using System.Text.Json;
using TokenFlow.Core.Requests;
using TokenFlow.Inference.Sampling;
using TokenFlow.Inference.Sampling.Json;

namespace TokenFlow.Inference.Tests;

/// <summary>Each sampler step on hand-computed cases, logprobs normalisation, and the JSON recogniser.</summary>
public sealed class SamplerTests
{
    private static Request RequestWith(SamplingParams p, int[] prompt, params int[] output)
    {
        var r = new Request("r", prompt, 100, 10, 0, p);
        // Output tokens enter through the engine only; the sampler reads them from OutputTokens.
        var append = typeof(Request).GetMethod("AppendToken", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        foreach (var t in output) append.Invoke(r, [t, 0.0]);
        return r;
    }

    [Fact]
    public void PresencePenaltySubtractsOncePerSeenToken()
    {
        float[] logits = [1f, 2f, 3f, 4f];
        var p = new SamplingParams { PresencePenalty = 0.5f };
        LogitProcessors.ApplyPenalties(logits, p, [0], [2, 2, 3], new SamplerState(1));
        Assert.Equal([1f, 2f, 2.5f, 3.5f], logits); // the prompt token 0 is not penalised (OpenAI: output only)
    }

    [Fact]
    public void FrequencyPenaltySubtractsPerOccurrence()
    {
        float[] logits = [1f, 2f, 3f, 4f];
        var p = new SamplingParams { FrequencyPenalty = 0.5f };
        LogitProcessors.ApplyPenalties(logits, p, [0], [2, 2, 3], new SamplerState(1));
        Assert.Equal([1f, 2f, 2f, 3.5f], logits);
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeOverPromptAndOutput()
    {
        float[] logits = [2f, -1f, 3f, 4f];
        var p = new SamplingParams { RepetitionPenalty = 2f };
        LogitProcessors.ApplyPenalties(logits, p, [0], [1], new SamplerState(1));
        Assert.Equal([1f, -2f, 3f, 4f], logits);
    }

    [Fact]
    public void PenaltyCountsAreIncrementalAcrossCalls()
    {
        var state = new SamplerState(1);
        var p = new SamplingParams { FrequencyPenalty = 1f };
        float[] a = [0f, 0f, 0f];
        LogitProcessors.ApplyPenalties(a, p, [0], [1], state);
        float[] b = [0f, 0f, 0f];
        LogitProcessors.ApplyPenalties(b, p, [0], [1, 1, 2], state);
        Assert.Equal([0f, -1f, 0f], a);
        Assert.Equal([0f, -2f, -1f], b);
    }

    [Fact]
    public void MinPDropsTokensBelowTheFractionOfTheTopAndRenormalises()
    {
        float[] probs = [0.5f, 0.3f, 0.15f, 0.05f];
        LogitProcessors.ApplyMinP(probs, 0.2f); // cut at 0.1
        Assert.Equal(0f, probs[3]);
        Assert.Equal(0.5f / 0.95f, probs[0], 5);
        Assert.Equal(0.3f / 0.95f, probs[1], 5);
        Assert.Equal(0.15f / 0.95f, probs[2], 5);
    }

    [Fact]
    public void MinPNeverDrawsACutToken()
    {
        // Token 1 has probability e^0/(e^3+1) ≈ 0.047 < 0.5 × 0.953: with min_p 0.5 it must never be drawn.
        var sampler = new TokenSampler(2);
        var r = RequestWith(new SamplingParams { Temperature = 1f, MinP = 0.5f, Seed = 7 }, [0]);
        var state = TokenSampler.StateFor(r);
        for (var i = 0; i < 2000; i++)
        {
            float[] raw = [3f, 0f];
            Assert.Equal(0, sampler.Sample(raw, raw.ToArray(), r, state));
        }
    }

    [Fact]
    public void LogitBiasChangesGreedyChoiceAndMinus100Bans()
    {
        var sampler = new TokenSampler(3);
        float[] raw = [5f, 1f, 0f];
        var up = RequestWith(new SamplingParams { LogitBias = new Dictionary<int, float> { [2] = 100f } }, [0]);
        Assert.Equal(2, sampler.Sample(raw, raw.ToArray(), up, TokenSampler.StateFor(up)));
        var ban = RequestWith(new SamplingParams { LogitBias = new Dictionary<int, float> { [0] = -100f } }, [0]);
        Assert.Equal(1, sampler.Sample(raw, raw.ToArray(), ban, TokenSampler.StateFor(ban)));
        Assert.False(TokenSampler.IsPlainGreedy(ban));
    }

    [Fact]
    public void LogprobsOverTheFullVocabularySumToOne()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 512).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        var lp = LogitProcessors.Logprobs(logits, 17, 512);
        var sum = lp.TopLogprobs.Sum(x => Math.Exp(x));
        Assert.InRange(sum, 1 - 1e-4, 1 + 1e-4);
        Assert.Equal(512, lp.TopTokens.Distinct().Count());
        Assert.Equal(TokenSampler.Argmax(logits), lp.TopTokens[0]);
        for (var i = 1; i < lp.TopLogprobs.Length; i++) Assert.True(lp.TopLogprobs[i] <= lp.TopLogprobs[i - 1]);
        Assert.Equal(lp.TopLogprobs[Array.IndexOf(lp.TopTokens, 17)], lp.Logprob, 5);
    }

    [Fact]
    public void SamplerQueuesOneLogprobsEntryPerToken()
    {
        var sampler = new TokenSampler(4);
        var r = RequestWith(new SamplingParams { Temperature = 0.8f, Seed = 1, Logprobs = 2 }, [0]);
        var state = TokenSampler.StateFor(r);
        float[] raw = [1f, 2f, 3f, 0f];
        var t = sampler.Sample(raw, raw.ToArray(), r, state);
        Assert.True(state.Logprobs.TryDequeue(out var lp));
        Assert.Equal(t, lp.Token);
        Assert.Equal([2, 1], lp.TopTokens);
        Assert.Empty(state.Logprobs);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"a\": [1, -2.5e3, 0.5E+2, true, false, null, \"x\\u0041\\n\"], \"b\": {\"c\": {}}}")]
    public void JsonPrefixAcceptsObjects(string json)
    {
        var s = new JsonPrefix();
        Assert.True(s.Feed(Encoding.UTF8.GetBytes(json)));
        Assert.True(s.IsDone);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\": 01}")]
    [InlineData("{\"a\": tru }")]
    [InlineData("{\"a\": 1,}")]
    [InlineData("{\"a\":  1}")] // two blanks in a row
    [InlineData("{} x")]
    public void JsonPrefixRejectsNonObjects(string json)
    {
        var s = new JsonPrefix();
        Assert.False(s.Feed(Encoding.UTF8.GetBytes(json)) && s.IsDone);
    }

    [Fact]
    public void ClosingCompletesEveryPrefix()
    {
        const string doc = "{\"k\": [1.5e-3, \"s\\u00e9\", {\"n\": null}], \"t\": true}";
        for (var cut = 0; cut <= doc.Length; cut++)
        {
            var s = new JsonPrefix();
            Assert.True(s.Feed(Encoding.UTF8.GetBytes(doc[..cut])));
            var closed = new StringBuilder(doc[..cut]);
            var n = s.ClosingLength();
            while (!s.IsDone) { var b = s.ClosingByte(); closed.Append((char)b); Assert.True(s.Step(b)); }
            Assert.Equal(n, closed.Length - cut);
            using var _ = JsonDocument.Parse(closed.ToString());
        }
    }
}
