namespace TokenFlow.Core.Engine;

/// <summary>Running totals of what the engine did, read by the metrics exporters.</summary>
public sealed class EngineCounters
{
    public long Iterations { get; set; }
    public long PromptTokens { get; set; }
    public long GeneratedTokens { get; set; }
    public long SwapPreemptions { get; set; }
    public long RecomputePreemptions { get; set; }
    public long Loads { get; set; }
    public long RecomputedTokens { get; set; }
    public long FinishedRequests { get; set; }
    public long AbortedRequests { get; set; }
    /// <summary>Output tokens of requests that finished normally (for length estimates).</summary>
    public long FinishedOutputTokens { get; set; }
    /// <summary>Prompt plus output tokens of requests that finished normally (their final KV footprint).</summary>
    public long FinishedContextTokens { get; set; }
    public double BusySeconds { get; set; }
    /// <summary>Prompt tokens of every request submitted, admitted from the queue, and aborted while still queued (the guard's prefill backlog).</summary>
    public long SubmittedPromptTokens { get; set; }
    public long SubmittedRequests { get; set; }
    public long AdmittedPromptTokens { get; set; }
    public long AbortedWaitingPromptTokens { get; set; }
    /// <summary>Prompt tokens waiting in the queue, not yet admitted.</summary>
    public long WaitingPromptTokens => SubmittedPromptTokens - AdmittedPromptTokens - AbortedWaitingPromptTokens;
}
