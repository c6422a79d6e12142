using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// The buffer-aware preemptive policy of design §4. Without stress it behaves like plain
/// continuous batching with new prefills first. Under stress (a request waits, or a paused stream
/// runs low) it re-plans every Δt: it admits newcomers into the working set by switching out
/// streams whose buffers cover the switch (<c>TokenFlowScheduler.WorkingSet.cs</c>), then balances
/// buffers by utility (<c>TokenFlowScheduler.Balance.cs</c>, <see cref="BufferBalancer"/>). Switches
/// are priced by resource (<see cref="SwitchCosts"/>), and when the load outruns the hardware
/// (<see cref="OverloadGuard"/>) it serves first come, first served.
/// </summary>
public sealed partial class TokenFlowScheduler(TokenFlowOptions options) : IScheduler
{
    private readonly OverloadGuard _guard = new(options);
    private readonly List<Request> _order = new();
    private double _nextReplan = double.NegativeInfinity;
    private long _admitAttemptAt = -1;
    private bool _interleaved;
    private double _wakeAt = double.PositiveInfinity;
    private SwitchCosts _costs;
    private ActiveCounts _counts;

    public TokenFlowOptions Options => options;
    public string Name => "tokenflow";
    public bool UsesHostTier => true;
    public double NextDecisionTime => _wakeAt;

    /// <summary>Re-plans done, and how many of them found the load past the hardware (served FCFS).</summary>
    public long Replans { get; private set; }
    public long GuardFallbacks { get; private set; }
    /// <summary>The whole-load guard (its regime, loads and entries into overload).</summary>
    public OverloadGuard Guard => _guard;

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        var now = ctx.Now;
        _counts = ActiveCounts.Of(ctx);
        var overloaded = _guard.Update(Sample(ctx));
        // Compute has headroom for a recompute only when nothing queues for prefill and the load is well inside capacity.
        var headroom = _guard.ComputeHeadroom && ctx.Waiting.Count == 0;
        _costs = SwitchCosts.Measure(ctx, _counts.PrefillTokens, headroom);
        _victimsAt = -1;
        AdmitWhatFits(ctx, overloaded);
        var stressed = ctx.Waiting.Count > 0 || AnyPausedCritical(ctx);
        if (stressed && now >= _nextReplan)
        {
            Replan(ctx, overloaded);
            _nextReplan = now + options.ReplanInterval;
        }
        else if (!overloaded && ctx.Waiting.Count > 0 && _admitAttemptAt != ctx.Counters.SubmittedRequests)
        {
            // A newcomer arrived since the last attempt: it joins at this iteration if room can be
            // made, rather than at the next re-plan.
            _admitAttemptAt = ctx.Counters.SubmittedRequests;
            var rates = _counts.SumRates;
            Admit(ctx, ref rates, DecodeCapacity(ctx));
        }
        BuildBatch(ctx, batch, overloaded);
        _wakeAt = NextWake(ctx, stressed || ctx.Waiting.Count > 0);
    }

    private LoadSample Sample(SchedulerContext ctx) => new(ctx.Now, ctx.Counters.SubmittedPromptTokens,
        ctx.Counters.WaitingPromptTokens + _counts.PrefillTokens, _counts.SumRates, DecodeCapacity(ctx, withHeadroom: false),
        ctx.Estimates.PerPrefillToken);

    // ---------------------------------------------------------------- every iteration

    /// <summary>Runs the current plan: prefills first (or chunked beside decodes), decodes of residents, and loads when memory is free.</summary>
    private void BuildBatch(SchedulerContext ctx, List<ScheduledSequence> batch, bool overloaded)
    {
        LoadWhileFree(ctx, overloaded); // first, so that a stream resumed by recompute can prefill in this very iteration
        var budget = ctx.Options.MaxBatchedTokens;
        if (!ctx.Options.ChunkedPrefill)
        {
            // Prefill first, unless a running stream would run dry while a prefill iteration runs:
            // then one decode iteration goes in between (never two in a row, so prompts keep
            // flowing), and a burst of newcomers cannot stall the streams already served.
            var interleave = !_interleaved && DecodeIsUrgent(ctx);
            _interleaved = false;
            if (!interleave) ctx.ContinuePrefills(batch, ref budget);
            if (batch.Count == 0)
            {
                Decode(ctx, batch, ref budget);
                _interleaved = interleave && batch.Count > 0;
            }
            if (batch.Count == 0) ctx.ContinuePrefills(batch, ref budget);
        }
        else
        {
            Decode(ctx, batch, ref budget);
            ctx.ContinuePrefills(batch, ref budget);
        }
    }

    /// <summary>True when some running stream has less slack than the next prefill iteration (and a decode after it) would take.</summary>
    private bool DecodeIsUrgent(SchedulerContext ctx)
    {
        if (_counts.PrefillTokens == 0 || _counts.Running == 0) return false;
        var minSlack = double.PositiveInfinity;
        foreach (var r in ctx.Active)
            if (r.State == RequestState.Running) minSlack = Math.Min(minSlack, r.Reader.Slack(ctx.Now));
        var prefill = ctx.Estimates.Predict(0, (int)Math.Min(_counts.PrefillTokens, ctx.Options.MaxBatchedTokens));
        return minSlack < prefill + ctx.Estimates.Predict(_counts.Running, 0);
    }

    /// <summary>Plain admission: new requests that fit without preempting anyone, in arrival order.</summary>
    private void AdmitWhatFits(SchedulerContext ctx, bool overloaded)
    {
        // Overloaded, paused streams have first claim on freed memory (first come, first served).
        if (overloaded && _counts.Paused > 0) return;
        // Paused streams that would run dry before the next re-plan keep first claim on free memory.
        var watermark = ctx.WatermarkBlocks + UrgentPausedBlocks(ctx);
        var pending = PendingPrefillBlocks(ctx);
        var resident = _counts.Resident;
        while (ctx.Waiting.Count > 0 && resident < ctx.Options.MaxNumSeqs)
        {
            var r = ctx.Waiting[0];
            var prompt = ctx.PrefillBlocks(r);
            var fits = ctx.Kv.DeviceAvailable - pending - prompt - GrowthBlocks(ctx, r) >= watermark;
            // An empty device always takes the head of the queue if its prompt fits at all.
            var alone = resident == 0 && ctx.Kv.DeviceAvailable >= prompt;
            if (!fits && !alone) return;
            ctx.Admit(r);
            pending += Math.Max(0, prompt);
            resident++;
        }
    }

    /// <summary>Blocks that admitted requests still need for the rest of their prefill.</summary>
    private static int PendingPrefillBlocks(SchedulerContext ctx)
    {
        var sum = 0;
        foreach (var r in ctx.Active)
            if (r.State == RequestState.Prefilling) sum += Math.Max(0, ctx.PrefillBlocks(r));
        return sum;
    }

    private void Decode(SchedulerContext ctx, List<ScheduledSequence> batch, ref int budget)
    {
        var maxSeqs = ctx.Options.MaxNumSeqs;
        var order = DecodeOrder(ctx, maxSeqs - batch.Count);
        for (var i = 0; i < order.Count; i++)
        {
            var r = order[i];
            if (r.State != RequestState.Running || batch.Count >= maxSeqs || budget <= 0) continue;
            while (!ctx.TryAddDecode(r, batch))
            {
                // Out of blocks: switch out the deepest buffer that covers a switch; else recompute the newest.
                var victim = DeepestVictim(ctx, exclude: r);
                if (victim is not null)
                {
                    Evict(ctx, victim);
                    if (ctx.TryAddDecode(r, batch)) break;
                    if (ctx.Kv.DeviceAvailableSoon > 0) break; // the victim's tail is still being written: wait one iteration
                    continue;
                }
                var newest = ctx.NewestResidentNotInBatch() ?? r;
                // No stream can cover a switch: preempt the newest by recompute, as FCFS does.
                ctx.Preempt(newest, PreemptMode.Recompute);
                if (newest == r) break;
            }
            if (ctx.InBatch(r)) budget--;
        }
    }

    /// <summary>Running streams in arrival order; when more run than one batch holds, lowest slack first.</summary>
    private IReadOnlyList<Request> DecodeOrder(SchedulerContext ctx, int room)
    {
        if (_counts.Running <= room) return ctx.Active;
        _order.Clear();
        foreach (var r in ctx.Active) if (r.State == RequestState.Running) _order.Add(r);
        var now = ctx.Now;
        _order.Sort((a, b) => a.Reader.Slack(now).CompareTo(b.Reader.Slack(now)));
        return _order;
    }

    /// <summary>
    /// Work conservation: while device memory is free (beyond a re-plan interval of growth per
    /// running stream), bring paused streams back, lowest slack first (arrival order once
    /// overloaded), so that pausing never idles the hardware and token throughput stays that of
    /// plain batching.
    /// </summary>
    private void LoadWhileFree(SchedulerContext ctx, bool overloaded)
    {
        if (_counts.Paused == 0) return;
        if (ctx.Waiting.Count > 0 && !overloaded) return; // free memory goes to newcomers first, unless overloaded
        var now = ctx.Now;
        // Keep a re-plan interval of growth free for the running streams, or the next decode would evict again.
        var headroom = ctx.WatermarkBlocks;
        var resident = 0;
        _order.Clear();
        foreach (var r in ctx.Active)
        {
            if (r.State == RequestState.Running) headroom += GrowthBlocks(ctx, r);
            else if (r.State is RequestState.PausedOnHost or RequestState.PausedDropped) _order.Add(r);
            if (r.State.IsResident() || r.State == RequestState.Loading) resident++;
        }
        if (_order.Count == 0) return;
        if (!overloaded) _order.Sort((a, b) => a.Reader.Slack(now).CompareTo(b.Reader.Slack(now))); // else arrival order, as listed
        foreach (var best in _order)
        {
            if (resident >= ctx.Options.MaxNumSeqs) return;
            var need = ctx.Kv.BlocksFor(best.TotalTokens) + GrowthBlocks(ctx, best);
            if (ctx.Kv.DeviceAvailable - need < headroom) return;
            Resume(ctx, best);
            headroom += GrowthBlocks(ctx, best);
            resident++;
        }
    }

    // ---------------------------------------------------------------- switching

    /// <summary>A victim's buffer must cover μ·r·(τ_evict + τ_load + τ_schedule).</summary>
    internal bool IsVictim(SchedulerContext ctx, Request r)
    {
        if (r.State != RequestState.Running) return false;
        var slack = r.Reader.Slack(ctx.Now);
        if (slack < options.CriticalSlack) return false;
        var costs = _costs.IsMeasured ? _costs : SwitchCosts.Measure(ctx, ActiveCounts.Of(ctx).PrefillTokens, true); // tests may ask directly
        var load = costs.Load(ctx.Kv.BlocksFor(r.NumComputed) * ctx.Kv.BytesPerBlock);
        // While the iteration-time estimates are off (the machine just slowed down), demand a deeper buffer.
        var mu = options.BufferConservativeness * (1 + ctx.Estimates.Uncertainty);
        var required = mu * r.Rate * (costs.TailSeconds(ctx, r) + load + options.ReplanInterval);
        return r.Reader.Buffer(ctx.Now) >= required;
    }

    private Request? DeepestVictim(SchedulerContext ctx, Request exclude)
    {
        Request? best = null;
        var bestSlack = double.NegativeInfinity;
        foreach (var r in ctx.Active)
        {
            if (r == exclude || ctx.InBatch(r) || r.State != RequestState.Running) continue;
            var s = r.Reader.Slack(ctx.Now);
            if (s > bestSlack && IsVictim(ctx, r)) { bestSlack = s; best = r; }
        }
        return best;
    }

    /// <summary>Evictions go to the host by copy: it spends only the PCIe lane (the KV manager recomputes when the host is full).</summary>
    private static void Evict(SchedulerContext ctx, Request r) => ctx.Preempt(r, PreemptMode.Offload);

    private void Resume(SchedulerContext ctx, Request r) => ctx.Resume(r, _costs.ResumeMode(ctx, r));

    /// <summary>How a paused stream comes back when compute has headroom (tests).</summary>
    internal static PreemptMode ChooseResume(SchedulerContext ctx, Request r) =>
        SwitchCosts.Measure(ctx, ActiveCounts.Of(ctx).PrefillTokens, computeHeadroom: true).ResumeMode(ctx, r);

    // ---------------------------------------------------------------- estimates

    private bool AnyPausedCritical(SchedulerContext ctx)
    {
        if (_counts.Paused == 0) return false;
        foreach (var r in ctx.Active)
            if (r.State.IsPaused() && r.Reader.Slack(ctx.Now) < options.CriticalSlack + options.ReplanInterval) return true;
        return false;
    }

    private double NextWake(SchedulerContext ctx, bool stressed)
    {
        var t = stressed ? Math.Max(_nextReplan, ctx.Now) : double.PositiveInfinity;
        foreach (var r in ctx.Active)
            if (r.State is RequestState.PausedOnHost or RequestState.PausedDropped)
                t = Math.Min(t, ctx.Now + Math.Max(0, r.Reader.Slack(ctx.Now) - options.CriticalSlack - options.ReplanInterval));
        return t;
    }

    /// <summary>
    /// Γ: aggregate decode tokens/s when the device holds as many streams as fit (times the
    /// headroom). A stream's footprint is its mean over its life, not its size now: young streams
    /// grow, and a capacity measured on them would admit more than the device can keep.
    /// </summary>
    private double DecodeCapacity(SchedulerContext ctx, bool withHeadroom = true)
    {
        var perStream = _counts.Count > 0 ? Math.Max(1, (double)_counts.LifetimeBlocks / _counts.Count) : MeanFootprintBlocks(ctx);
        var n = (int)Math.Min(ctx.Options.MaxNumSeqs, Math.Max(1, ctx.Kv.Device.Total / perStream));
        // The per-sequence decode cost is mostly the KV read, so it grows with the context as well.
        var growth = _counts.ContextBlocks > 0 ? Math.Max(1, (double)_counts.LifetimeBlocks / _counts.ContextBlocks) : 1;
        var e = ctx.Estimates;
        var capacity = n / (e.Base + e.PerDecode * growth * n);
        return (withHeadroom ? options.CapacityHeadroom : 1) * capacity;
    }

    /// <summary>L̂: max_tokens, capped by the running mean length of finished requests.</summary>
    private static double EstimatedLength(SchedulerContext ctx, Request r)
    {
        var c = ctx.Counters;
        double length = r.MaxTokens;
        if (c.FinishedRequests > 0) length = Math.Min(length, (double)c.FinishedOutputTokens / c.FinishedRequests);
        return Math.Max(length, r.Generated + 1);
    }

    /// <summary>New device blocks a stream needs to keep decoding for one re-plan interval (never more than its remaining output).</summary>
    private int GrowthBlocks(SchedulerContext ctx, Request r)
    {
        var perInterval = options.ReplanInterval / Math.Max(1e-6, ctx.Estimates.Predict(1, 0));
        var tokens = (int)Math.Min(Math.Ceiling(perInterval), r.MaxTokens - r.Generated);
        return ctx.Kv.BlocksFor(r.TotalTokens + tokens) - ctx.Kv.BlocksFor(r.TotalTokens);
    }
}
