using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Execution;

/// <summary>
/// One sequence's share of an iteration: compute KV for positions [Start, Start+Count) and, when
/// that reaches the end of the known tokens, sample the next token.
/// </summary>
public readonly record struct ScheduledSequence(Request Request, int Start, int Count, IReadOnlyList<int> BlockTable)
{
    public bool Samples => Start + Count == Request.TotalTokens;
    public bool IsPrefill => Count > 1 || Start < Request.PromptLength;
}
