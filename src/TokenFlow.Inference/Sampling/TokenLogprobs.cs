namespace TokenFlow.Inference.Sampling;

/// <summary>The chosen token's log-probability under the model (raw logits, as vLLM's default) and the most likely alternatives, best first.</summary>
public sealed record TokenLogprobs(int Token, float Logprob, int[] TopTokens, float[] TopLogprobs);
