using TokenFlow.Core.Scheduling;

namespace TokenFlow.Server.Api;

/// <summary>
/// <c>--max-queue-delay</c>: a fast refusal instead of a long wait. When the estimated queueing
/// delay for a newcomer (the prompts queued ahead at the measured prefill cost) exceeds the bound,
/// the request gets 429 with a Retry-After of the estimated delay.
/// </summary>
public static class QueueDelayAdmission
{
    public static void Check(ServerState state)
    {
        if (state.Options.MaxQueueDelay is not { } max) return;
        var engine = state.Runner.Engine;
        var delay = QueueDelay.Estimate(engine.Counters, engine.Estimates);
        if (delay <= max) return;
        throw new ApiException(429, $"The server is busy: the estimated queueing delay is {delay:0.#} s, above the {max:0.###} s bound. Retry later.",
            "rate_limit_error", null, "queue_delay_exceeded") { RetryAfter = (int)Math.Clamp(Math.Ceiling(delay), 1, 3600) };
    }
}
