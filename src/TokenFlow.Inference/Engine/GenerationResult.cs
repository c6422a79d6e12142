using TokenFlow.Core.Requests;

namespace TokenFlow.Inference.Engine;

/// <summary>One finished generation: prompt ids, generated ids (stop token included), the generated text, and why it ended.</summary>
public sealed record GenerationResult(int[] PromptTokens, int[] Tokens, string Text, FinishReason? FinishReason, double Seconds);
