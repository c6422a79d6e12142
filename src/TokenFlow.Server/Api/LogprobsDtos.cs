using System.Text;
using TokenFlow.Inference.Sampling;

namespace TokenFlow.Server.Api;

/// <summary>Legacy completions' logprobs: parallel lists, and for each token a map text → logprob of the alternatives (the chosen token included, as vLLM does).</summary>
public sealed record CompletionLogprobs(List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffset);

/// <summary>Chat logprobs: one entry per output token.</summary>
public sealed record ChatLogprobs(List<ChatTokenLogprob> Content);

public sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, List<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);

/// <summary>Collects sampled tokens' logprobs into OpenAI's shapes; <see cref="Drain"/> gives what is collected so far (one SSE chunk's worth) and starts afresh.</summary>
public sealed class LogprobsCollector(Func<int, string> tokenText, bool chat, int top, int textOffset = 0)
{
    private CompletionLogprobs _completion = new([], [], [], []);
    private ChatLogprobs _chat = new([]);
    private int _offset = textOffset;

    public int Count { get; private set; }

    /// <summary>vLLM writes −9999 for a log-probability that is not finite; JSON cannot hold −∞.</summary>
    private static float Finite(float x) => float.IsFinite(x) ? x : -9999f;

    public void Add(TokenLogprobs lp)
    {
        Count++;
        var text = tokenText(lp.Token);
        var n = Math.Min(top, lp.TopTokens.Length);
        if (chat)
        {
            var alts = new List<ChatTopLogprob>(n);
            for (var i = 0; i < n; i++) { var t = tokenText(lp.TopTokens[i]); alts.Add(new ChatTopLogprob(t, Finite(lp.TopLogprobs[i]), Bytes(t))); }
            _chat.Content.Add(new ChatTokenLogprob(text, Finite(lp.Logprob), Bytes(text), alts));
            return;
        }
        var map = new Dictionary<string, float>(n + 1, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) map.TryAdd(tokenText(lp.TopTokens[i]), Finite(lp.TopLogprobs[i]));
        map.TryAdd(text, Finite(lp.Logprob));
        _completion.Tokens.Add(text);
        _completion.TokenLogprobs.Add(Finite(lp.Logprob));
        _completion.TopLogprobs.Add(map);
        _completion.TextOffset.Add(_offset);
        _offset += text.Length;
    }

    public object Drain()
    {
        object result = chat ? _chat : _completion;
        _chat = new([]);
        _completion = new([], [], [], []);
        return result;
    }

    private static int[] Bytes(string s) => [.. Encoding.UTF8.GetBytes(s).Select(b => (int)b)];
}
