namespace TokenFlow.Core.Requests;

/// <summary>How the next token is drawn. Temperature 0 is greedy; penalties and bias apply either way.</summary>
public sealed record SamplingParams
{
    public float Temperature { get; init; }
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    public ulong? Seed { get; init; }
    /// <summary>Reproduce llama2.c run.c's sampler exactly (xorshift RNG, its top-p cut-off).</summary>
    public bool RunCCompatible { get; init; }

    /// <summary>OpenAI's: subtracted once from the logit of every token already in the output.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>OpenAI's: subtracted from a token's logit once per occurrence in the output.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>vLLM/HF's: a logit of a token seen in prompt or output is divided by it when positive, multiplied when negative. 1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Drops tokens whose probability is below MinP × the top probability (after temperature). 0 = off.</summary>
    public float MinP { get; init; }
    /// <summary>Added to the logits of these token ids before anything else.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
    /// <summary>Return the chosen token's log-probability and this many alternatives; null = no logprobs.</summary>
    public int? Logprobs { get; init; }

    /// <summary>True when nothing but temperature/top-k/top-p is asked for (greedy is then a plain argmax).</summary>
    public bool IsPlain => PresencePenalty == 0 && FrequencyPenalty == 0 && RepetitionPenalty == 1 && MinP == 0
        && (LogitBias is null || LogitBias.Count == 0) && Logprobs is null;

    public static SamplingParams Greedy { get; } = new();
}
