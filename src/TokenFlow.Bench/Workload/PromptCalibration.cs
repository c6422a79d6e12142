namespace TokenFlow.Bench.Workload;

/// <summary>
/// How the server's tokenizer counts our word-list prompts: tokens ≈ Overhead + TokensPerWord·words.
/// Measured with two probe requests (their usage.prompt_tokens); the overhead absorbs chat templates and BOS.
/// </summary>
public sealed record PromptCalibration(double TokensPerWord, double Overhead, bool Measured)
{
    /// <summary>No measurement: one word per token, as on most BPE vocabularies for common words.</summary>
    public static readonly PromptCalibration Default = new(1, 0, false);

    /// <summary>Words needed for a prompt of <paramref name="tokens"/> tokens (at least one).</summary>
    public int WordsFor(int tokens) => Math.Max(1, (int)Math.Round((tokens - Overhead) / TokensPerWord));

    /// <summary>Fits the line through two probes; falls back to a ratio when they disagree oddly.</summary>
    public static PromptCalibration FromProbes(int words1, int tokens1, int words2, int tokens2)
    {
        var slope = (tokens2 - tokens1) / (double)(words2 - words1);
        if (!(slope > 0.05) || !double.IsFinite(slope)) return new PromptCalibration(Math.Max(0.05, tokens2 / (double)words2), 0, true);
        var overhead = Math.Max(0, tokens1 - slope * words1);
        return new PromptCalibration(slope, overhead, true);
    }
}
