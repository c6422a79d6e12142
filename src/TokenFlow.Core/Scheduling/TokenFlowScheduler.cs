using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// The buffer-aware preemptive policy of design §4. Without stress it behaves like plain
/// continuous batching with new prefills first. Under stress (a request waits, or a paused stream
/// runs low) it re-plans every Δt: it admits newcomers into the working set by switching out
/// streams whose buffers cover the switch, then balances buffers by utility to decide which
/// members run on the device, which are loaded back and which are evicted to the host.
/// </summary>
public sealed class TokenFlowScheduler(TokenFlowOptions options) : IScheduler
{
    private readonly List<Member> _members = new();
    private readonly List<Request> _victims = new();
    private double _nextReplan = double.NegativeInfinity;
    private bool _interleaved;
    private double _wakeAt = double.PositiveInfinity;

    public TokenFlowOptions Options => options;
    public string Name => "tokenflow";
    public bool UsesHostTier => true;
    public double NextDecisionTime => _wakeAt;

    /// <summary>Re-plans done, and how many of them fell back to FCFS because readers outran the hardware.</summary>
    public long Replans { get; private set; }
    public long GuardFallbacks { get; private set; }

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        var now = ctx.Now;
        _costs = Costs.Measure(ctx);
        _victimsAt = -1;
        AdmitWhatFits(ctx);
        var stressed = ctx.Waiting.Count > 0 || AnyPausedCritical(ctx);
        if (stressed && now >= _nextReplan)
        {
            Replan(ctx);
            _nextReplan = now + options.ReplanInterval;
        }
        BuildBatch(ctx, batch);
        _wakeAt = NextWake(ctx, stressed || ctx.Waiting.Count > 0);
    }

    // ---------------------------------------------------------------- every iteration

    /// <summary>Runs the current plan: prefills first (or chunked beside decodes), decodes of residents, and urgent loads when memory is free.</summary>
    private void BuildBatch(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        LoadWhileFree(ctx); // first, so that a stream resumed by recompute can prefill in this very iteration
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
    private static bool DecodeIsUrgent(SchedulerContext ctx)
    {
        var pending = 0;
        var running = 0;
        var minSlack = double.PositiveInfinity;
        foreach (var r in ctx.Active)
        {
            if (r.State == RequestState.Prefilling) pending += r.RemainingToCompute;
            else if (r.State == RequestState.Running)
            {
                running++;
                minSlack = Math.Min(minSlack, r.Reader.Slack(ctx.Now));
            }
        }
        if (pending == 0 || running == 0) return false;
        var prefill = ctx.Estimates.Predict(0, Math.Min(pending, ctx.Options.MaxBatchedTokens));
        return minSlack < prefill + ctx.Estimates.Predict(running, 0);
    }

    /// <summary>Plain admission: new requests that fit without preempting anyone, in arrival order.</summary>
    private void AdmitWhatFits(SchedulerContext ctx)
    {
        var watermark = ctx.WatermarkBlocks;
        var pending = PendingPrefillBlocks(ctx);
        var resident = FcfsScheduler.CountResident(ctx);
        var guarded = options.SchedulabilityGuard && AnyPaused(ctx);
        var sumRates = 0.0;
        if (guarded) foreach (var a in ctx.Active) sumRates += a.Rate;
        while (ctx.Waiting.Count > 0 && resident < ctx.Options.MaxNumSeqs)
        {
            var r = ctx.Waiting[0];
            // Paused streams have first claim on freed memory once readers outrun the hardware.
            if (guarded && sumRates + r.Rate > _capacity) return;
            sumRates += r.Rate;
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
                ctx.Preempt(newest, PreemptMode.Recompute);
                if (newest == r) break;
            }
            if (ctx.InBatch(r)) budget--;
        }
    }

    /// <summary>Running streams in arrival order; when more run than one batch holds, lowest slack first.</summary>
    private IReadOnlyList<Request> DecodeOrder(SchedulerContext ctx, int room)
    {
        if (CountRunning(ctx) <= room) return ctx.Active;
        _order.Clear();
        foreach (var r in ctx.Active) if (r.State == RequestState.Running) _order.Add(r);
        var now = ctx.Now;
        _order.Sort((a, b) => a.Reader.Slack(now).CompareTo(b.Reader.Slack(now)));
        return _order;
    }

    private readonly List<Request> _order = new();

    /// <summary>
    /// Work conservation: while device memory is free (beyond one block of growth per running
    /// stream), bring paused streams back, lowest slack first, so that pausing never idles the
    /// hardware and token throughput stays that of plain batching.
    /// </summary>
    private void LoadWhileFree(SchedulerContext ctx)
    {
        var now = ctx.Now;
        if (ctx.Waiting.Count > 0 && !_guardTripped) return; // free memory goes to newcomers first, unless overloaded
        // Keep a re-plan interval of growth free for the running streams, or the next decode would evict again.
        var headroom = ctx.WatermarkBlocks;
        foreach (var r in ctx.Active) if (r.State == RequestState.Running) headroom += GrowthBlocks(ctx, r);
        while (FcfsScheduler.CountResident(ctx) < ctx.Options.MaxNumSeqs)
        {
            Request? best = null;
            var bestKey = double.PositiveInfinity;
            foreach (var r in ctx.Active)
            {
                if (r.State is not (RequestState.PausedOnHost or RequestState.PausedDropped)) continue;
                var key = _guardTripped ? r.ArrivalTime : r.Reader.Slack(now); // FCFS order once overloaded
                if (key < bestKey) { bestKey = key; best = r; }
            }
            if (best is null) return;
            var need = ctx.Kv.BlocksFor(best.TotalTokens) + GrowthBlocks(ctx, best);
            if (ctx.Kv.DeviceAvailable - need < headroom) return;
            Resume(ctx, best);
            headroom += GrowthBlocks(ctx, best);
        }
    }

    // ---------------------------------------------------------------- re-plan

    private void Replan(SchedulerContext ctx)
    {
        Replans++;
        var sumRates = 0.0;
        foreach (var r in ctx.Active) sumRates += r.Rate;
        _capacity = DecodeCapacity(ctx);
        _guardTripped = options.SchedulabilityGuard && sumRates > _capacity;
        if (_guardTripped)
        {
            // Readers together outrun the hardware, so balancing buffers cannot help (every switch
            // would only move starvation around): admit nothing more and serve first come, first served.
            GuardFallbacks++;
            RelieveStarving(ctx);
            return;
        }
        Admit(ctx, ref sumRates, _capacity);
        Balance(ctx);
    }

    private double _capacity = double.PositiveInfinity;
    private bool _guardTripped;

    /// <summary>
    /// Overloaded: no balancing, but a paused stream about to run dry may still take the place of a
    /// running one whose buffer is far ahead (above the high-water slack), oldest arrival first. The
    /// gap between the two marks keeps a stream on the device long enough to pay for its switch.
    /// </summary>
    private void RelieveStarving(SchedulerContext ctx)
    {
        var now = ctx.Now;
        var low = options.CriticalSlack + options.ReplanInterval;
        var deep = _order;
        deep.Clear();
        foreach (var r in ctx.Active)
            if (r.State == RequestState.Running && r.Reader.Slack(now) > options.OverloadHighWaterSlack && IsVictim(ctx, r)) deep.Add(r);
        if (deep.Count == 0) return;
        deep.Sort((a, b) => b.Reader.Slack(now).CompareTo(a.Reader.Slack(now)));
        var next = 0;
        foreach (var r in ctx.Active) // arrival order
        {
            if (r.State is not (RequestState.PausedOnHost or RequestState.PausedDropped) || r.Reader.Slack(now) >= low) continue;
            var need = ctx.Kv.BlocksFor(r.TotalTokens) + GrowthBlocks(ctx, r) + ctx.WatermarkBlocks;
            while (ctx.Kv.DeviceAvailableSoon < need && next < deep.Count) Evict(ctx, deep[next++]);
            if (ctx.Kv.DeviceAvailableSoon < need) return;
            Resume(ctx, r);
        }
    }

    /// <summary>Step 1: grow the working set in arrival order, switching out streams whose buffers cover the switch.</summary>
    private void Admit(SchedulerContext ctx, ref double sumRates, double capacity)
    {
        var beta = MeanFootprintBlocks(ctx);
        var wStatic = Math.Max(1, (int)((ctx.Kv.Device.Total + ctx.Kv.Host.Total) / beta));
        var running = FcfsScheduler.CountResident(ctx);
        var wScheduled = running < wStatic ? wStatic - options.WorkingSetDecay * (wStatic - running) : wStatic;
        // Streams already paused that would run dry before the next re-plan keep first claim on
        // device room: a newcomer is admitted only beyond what they need to come back.
        var watermark = ctx.WatermarkBlocks + UrgentPausedBlocks(ctx);
        var pending = PendingPrefillBlocks(ctx);
        var resident = FcfsScheduler.CountResident(ctx);
        while (ctx.Waiting.Count > 0 && ctx.Active.Count < wScheduled)
        {
            var r = ctx.Waiting[0];
            if (options.SchedulabilityGuard && sumRates + r.Rate > capacity) return;
            var prompt = ctx.PrefillBlocks(r);
            var need = pending + prompt + GrowthBlocks(ctx, r) + watermark;
            var slots = resident + 1 - ctx.Options.MaxNumSeqs;
            if ((ctx.Kv.DeviceAvailableSoon < need || slots > 0) && !MakeRoom(ctx, need, slots)) return;
            ctx.Admit(r);
            pending += Math.Max(0, prompt);
            sumRates += r.Rate;
            resident = FcfsScheduler.CountResident(ctx);
        }
    }

    /// <summary>Device blocks that paused streams about to run dry need to come back.</summary>
    private int UrgentPausedBlocks(SchedulerContext ctx)
    {
        var sum = 0;
        var horizon = options.CriticalSlack + options.ReplanInterval;
        foreach (var r in ctx.Active)
            if (r.State is RequestState.PausedOnHost or RequestState.PausedDropped && r.Reader.Slack(ctx.Now) - LoadSeconds(ctx, r) < horizon)
                sum += ctx.Kv.BlocksFor(r.TotalTokens) + GrowthBlocks(ctx, r);
        return sum;
    }

    /// <summary>
    /// Evicts qualifying victims, deepest buffer first, until <paramref name="need"/> blocks are free
    /// (or soon free) and at least <paramref name="slots"/> sequences have left the device.
    /// </summary>
    private bool MakeRoom(SchedulerContext ctx, int need, int slots)
    {
        if (_victimsAt != 0)
        {
            // Candidates are found and ranked once per decision, then taken from the front.
            _victimsAt = 0;
            _victims.Clear();
            _nextVictim = 0;
            foreach (var r in ctx.Active)
                if (r.State == RequestState.Running && !ctx.InBatch(r) && IsVictim(ctx, r)) _victims.Add(r);
            var now = ctx.Now;
            _victims.Sort((a, b) => b.Reader.Slack(now).CompareTo(a.Reader.Slack(now)));
        }
        var freeable = ctx.Kv.DeviceAvailableSoon;
        var take = _nextVictim;
        while ((freeable < need || take - _nextVictim < slots) && take < _victims.Count)
            if (_victims[take++].State == RequestState.Running) freeable += ctx.Kv.DeviceBlockTable(_victims[take - 1]).Count;
        if (freeable < need || take - _nextVictim < slots) return false;
        for (; _nextVictim < take; _nextVictim++)
            if (_victims[_nextVictim].State == RequestState.Running) Evict(ctx, _victims[_nextVictim]);
        return true;
    }

    private long _victimsAt = -1;
    private int _nextVictim;

    /// <summary>Step 2: choose who runs on the device by utility, then load the chosen and evict the rest.</summary>
    private void Balance(SchedulerContext ctx)
    {
        var now = ctx.Now;
        var dt = options.ReplanInterval;
        var residents = Math.Max(1, FcfsScheduler.CountResident(ctx));
        var genRate = 1 / ctx.Estimates.Predict(residents, 0);
        var budget = ctx.Kv.Device.Total - ctx.WatermarkBlocks - ctx.Kv.ReservedForLoads;
        _members.Clear();
        foreach (var r in ctx.Active)
        {
            switch (r.State)
            {
                case RequestState.Prefilling:
                case RequestState.Loading:
                case RequestState.Offloading:
                    budget -= Math.Max(ctx.Kv.DeviceBlockTable(r).Count, ctx.Kv.BlocksFor(r.TotalTokens));
                    continue;
                case RequestState.Running:
                case RequestState.PausedOnHost:
                case RequestState.PausedDropped:
                    _members.Add(Evaluate(ctx, r, genRate, dt, now));
                    break;
            }
        }
        _members.Sort(static (a, b) =>
        {
            var c = b.Forced.CompareTo(a.Forced);
            if (c != 0) return c;
            c = b.Utility.CompareTo(a.Utility);
            if (c != 0) return c;
            c = a.Request.Priority.CompareTo(b.Request.Priority); // vLLM's priority breaks ties
            return c != 0 ? c : a.Request.ArrivalTime.CompareTo(b.Request.ArrivalTime);
        });

        if (_chosen.Length < _members.Count) _chosen = new bool[_members.Count * 2];
        var chosen = _chosen.AsSpan(0, _members.Count);
        chosen.Clear();
        var seqs = ctx.Options.MaxNumSeqs;
        var used = Fill(chosen, budget, seqs, out var total);
        if (options.LocalSearch) LocalSearch(chosen, budget, seqs, ref used, ref total);

        // Evict first so that loads can reuse the blocks (load–evict overlap).
        for (var i = 0; i < _members.Count; i++)
        {
            var m = _members[i];
            if (!chosen[i] && m.Request.State == RequestState.Running) Evict(ctx, m.Request);
        }
        for (var i = 0; i < _members.Count; i++)
        {
            var m = _members[i];
            if (chosen[i] && m.Request.State is RequestState.PausedOnHost or RequestState.PausedDropped) Resume(ctx, m.Request);
        }
    }

    private Member Evaluate(SchedulerContext ctx, Request r, double genRate, double dt, double now)
    {
        var resident = r.State == RequestState.Running;
        var buffer = r.Reader.Buffer(now);
        var rate = r.Rate;
        var length = EstimatedLength(ctx, r);
        var remaining = Math.Max(1, length - r.Generated);
        var produced = Math.Min(genRate * dt, remaining);
        var afterIdle = Math.Max(0, buffer - rate * dt);
        var afterRun = Math.Max(0, buffer - rate * dt + produced);
        // Useful tokens: weight the produced tokens by the buffer they are generated into (design §3).
        var full = 0.1 * length;
        var zero = 0.2 * length;
        var mid = (buffer + afterRun) / 2;
        var useful = produced * Metrics.RequestMetricsCalculator.Weight(mid, full, zero);
        var penaltyAvoided = options.StarvationWeight * (Phi(afterIdle / rate) - Phi(afterRun / rate));
        var utility = useful + penaltyAvoided;
        var switchSeconds = 0.0;
        if (!resident)
        {
            // Coming back costs the tokens not produced while the KV moves or is recomputed.
            switchSeconds = LoadSeconds(ctx, r);
            utility -= genRate * switchSeconds * Metrics.RequestMetricsCalculator.Weight(buffer, full, zero);
        }
        var slack = buffer / rate;
        var forced = resident && (slack < options.CriticalSlack || !IsVictim(ctx, r));
        // A paused stream that would run dry before the next chance to load it must come back now.
        if (!resident && slack - dt - switchSeconds < options.CriticalSlack) utility += 1e6 - slack;
        var size = ctx.Kv.BlocksFor(r.TotalTokens + (int)Math.Ceiling(produced) + 1);
        return new Member(r, utility, size, forced, resident);
    }

    private int Fill(Span<bool> chosen, int budget, int maxSeqs, out double total)
    {
        var used = 0;
        var count = 0;
        total = 0;
        for (var i = 0; i < _members.Count; i++)
        {
            var m = _members[i];
            if (m.Forced || (count < maxSeqs && used + m.Size <= budget && (m.Resident || m.Utility > 0)))
            {
                chosen[i] = true;
                used += m.Size;
                count++;
                total += m.Utility;
            }
        }
        // Leftover memory is not left idle: paused members that still fit come back too.
        for (var i = 0; i < _members.Count && count < maxSeqs; i++)
        {
            var m = _members[i];
            if (chosen[i] || used + m.Size > budget) continue;
            chosen[i] = true;
            used += m.Size;
            count++;
        }
        return used;
    }

    /// <summary>One pass over adjacent pairs across the cut: swap when it raises the chosen set's utility within memory.</summary>
    private void LocalSearch(Span<bool> chosen, int budget, int maxSeqs, ref int used, ref double total)
    {
        for (var i = 0; i + 1 < _members.Count; i++)
        {
            if (!chosen[i] || chosen[i + 1] || _members[i].Forced) continue;
            var a = _members[i];
            var b = _members[i + 1];
            if (!b.Resident && b.Utility <= 0) continue;
            var newUsed = used - a.Size + b.Size;
            if (newUsed > budget) continue;
            // With a's blocks freed, later members may fit too: count what a refill would add.
            var gain = b.Utility - a.Utility;
            var extraUsed = 0;
            for (var j = i + 2; j < _members.Count; j++)
            {
                var m = _members[j];
                if (chosen[j] || (!m.Resident && m.Utility <= 0)) continue;
                if (newUsed + extraUsed + m.Size <= budget) { gain += m.Utility; extraUsed += m.Size; }
            }
            if (gain <= 0) continue;
            chosen[i] = false;
            chosen[i + 1] = true;
            used = newUsed;
            total += b.Utility - a.Utility;
            var count = 0;
            foreach (var c in chosen) if (c) count++;
            for (var j = i + 2; j < _members.Count && count < maxSeqs; j++)
            {
                var m = _members[j];
                if (chosen[j] || (!m.Resident && m.Utility <= 0) || used + m.Size > budget) continue;
                chosen[j] = true;
                used += m.Size;
                total += m.Utility;
                count++;
            }
        }
    }

    // ---------------------------------------------------------------- switching

    /// <summary>A victim's buffer must cover μ·r·(τ_evict + τ_load + τ_schedule).</summary>
    internal bool IsVictim(SchedulerContext ctx, Request r)
    {
        if (r.State != RequestState.Running) return false;
        var slack = r.Reader.Slack(ctx.Now);
        if (slack < options.CriticalSlack) return false;
        var costs = _costs.ToHost > 0 ? _costs : Costs.Measure(ctx); // measured per decision; tests may ask directly
        var tail = r.NumComputed - ctx.Kv.SyncedTokens(r);
        var evict = costs.Offload(ctx.Kv.BlocksFor(tail) * ctx.Kv.BytesPerBlock);
        var load = LoadSeconds(ctx, r, costs);
        var required = options.BufferConservativeness * r.Rate * (evict + load + options.ReplanInterval);
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

    /// <summary>Offload unless recomputing is cheaper than writing the tail now and loading it back later.</summary>
    private void Evict(SchedulerContext ctx, Request r)
    {
        var kv = ctx.Kv;
        var tailBytes = kv.BlocksFor(r.NumComputed - kv.SyncedTokens(r)) * kv.BytesPerBlock;
        var io = _costs.Offload(tailBytes) + _costs.Load(kv.BlocksFor(r.NumComputed) * kv.BytesPerBlock);
        var recompute = _costs.Recompute(ctx, r.NumComputed);
        ctx.Preempt(r, io <= recompute ? PreemptMode.Offload : PreemptMode.Recompute);
    }

    private void Resume(SchedulerContext ctx, Request r) => ctx.Resume(r, ChooseResume(ctx, r, _costs));

    /// <summary>Load from the host when t_IO is below the recompute time; otherwise recompute.</summary>
    internal static PreemptMode ChooseResume(SchedulerContext ctx, Request r) => ChooseResume(ctx, r, Costs.Measure(ctx));

    private static PreemptMode ChooseResume(SchedulerContext ctx, Request r, Costs costs)
    {
        if (r.State != RequestState.PausedOnHost) return PreemptMode.Recompute;
        var io = LoadSeconds(ctx, r, costs);
        var recompute = costs.Recompute(ctx, r.NumComputed);
        return io <= recompute ? PreemptMode.Offload : PreemptMode.Recompute;
    }

    private double LoadSeconds(SchedulerContext ctx, Request r) => LoadSeconds(ctx, r, _costs);

    private static double LoadSeconds(SchedulerContext ctx, Request r, Costs costs)
    {
        if (r.State == RequestState.PausedDropped) return costs.Recompute(ctx, r.TotalTokens);
        return costs.Load(ctx.Kv.BlocksFor(r.NumComputed) * ctx.Kv.BytesPerBlock);
    }

    // ---------------------------------------------------------------- estimates

    private Costs _costs;

    /// <summary>
    /// Switching costs, measured once per decision: the time until a copy submitted now would land
    /// (the link's queue ahead plus its own bytes), and the time until a recompute would finish
    /// (the prefill work already queued plus its own, at the measured per-token prefill latency).
    /// Queued work counts on both sides.
    /// </summary>
    private readonly record struct Costs(double LoadQueue, double OffloadQueue, double ToDevice, double ToHost, int QueuedPrefill)
    {
        public static Costs Measure(SchedulerContext ctx)
        {
            var t = ctx.Kv.Transfers;
            var queued = 0;
            foreach (var r in ctx.Active)
                if (r.State == RequestState.Prefilling) queued += r.RemainingToCompute;
            return new Costs(t.EstimateCompletionDelay(TransferKind.Load, 0), t.EstimateCompletionDelay(TransferKind.Offload, 0),
                Math.Max(1, t.Bandwidth(toHost: false)), Math.Max(1, t.Bandwidth(toHost: true)), queued);
        }

        public double Load(long bytes) => LoadQueue + bytes / ToDevice;
        public double Offload(long bytes) => OffloadQueue + bytes / ToHost;
        public double Recompute(SchedulerContext ctx, int tokens) => ctx.Estimates.RecomputeSeconds(QueuedPrefill + tokens, ctx.Options.MaxBatchedTokens);
    }

    private static bool AnyPaused(SchedulerContext ctx)
    {
        foreach (var r in ctx.Active) if (r.State.IsPaused()) return true;
        return false;
    }

    private bool AnyPausedCritical(SchedulerContext ctx)
    {
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

    /// <summary>Γ: aggregate decode tokens/s when the device holds as many streams as fit at their current size, with headroom.</summary>
    private double DecodeCapacity(SchedulerContext ctx)
    {
        double blocks = 0;
        var members = 0;
        foreach (var r in ctx.Active) { blocks += ctx.Kv.BlocksFor(r.TotalTokens); members++; }
        var perStream = members > 0 ? Math.Max(1, blocks / members) : MeanFootprintBlocks(ctx);
        var n = (int)Math.Min(ctx.Options.MaxNumSeqs, Math.Max(1, ctx.Kv.Device.Total / perStream));
        return options.CapacityHeadroom * ctx.Estimates.DecodeCapacity(n);
    }

    /// <summary>β: mean KV footprint of a request in blocks, from finished requests once there are some.</summary>
    private static double MeanFootprintBlocks(SchedulerContext ctx)
    {
        var c = ctx.Counters;
        if (c.FinishedRequests > 0) return Math.Max(1, (double)c.FinishedContextTokens / c.FinishedRequests / ctx.Kv.BlockSize);
        double sum = 0;
        var n = 0;
        foreach (var r in ctx.Active) { sum += r.PromptLength + r.MaxTokens; n++; }
        foreach (var r in ctx.Waiting) { sum += r.PromptLength + r.MaxTokens; n++; }
        return n == 0 ? 1 : Math.Max(1, sum / n / ctx.Kv.BlockSize);
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

    private static int CountRunning(SchedulerContext ctx)
    {
        var n = 0;
        foreach (var r in ctx.Active) if (r.State == RequestState.Running) n++;
        return n;
    }

    private double Phi(double slackSeconds) => Math.Exp(-slackSeconds / options.SlackScale);

    private readonly record struct Member(Request Request, double Utility, int Size, bool Forced, bool Resident);
    private bool[] _chosen = [];
}
