using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>
/// Andes (Liu et al., 2024, arXiv 2404.16283), the QoE-aware baseline.
/// <list type="bullet">
/// <item>Without memory pressure (device use under <see cref="AndesOptions.MemoryPressure"/>) it
/// batches like FCFS and never preempts.</item>
/// <item>Under pressure, every <see cref="AndesOptions.Interval"/> it solves the knapsack of
/// <see cref="AndesKnapsack"/> over the running, paused and waiting requests, each valued by its
/// <see cref="AndesQoe"/> gain over the next interval and weighed by its context blocks.</item>
/// <item>Only running requests whose gain density is below the best left-out candidate's may be
/// preempted, and no more than the preemption bound allows: P preemptions per submitted request
/// on average, and per decision as many as the 10th-percentile victim slack covers recompute
/// overheads (the authors' online cap).</item>
/// </list>
/// Preemption is by recompute, the default of the authors' vLLM implementation; the host tier stays unused.
/// </summary>
public sealed class AndesScheduler(AndesOptions options) : IScheduler
{
    // Only resident requests reserve growth: many dropped ones would otherwise block every admission.
    private readonly FutureTokenReservation _reservation = new(residentOnly: true);
    private readonly List<Request> _requests = new();
    private readonly List<AndesItem> _items = new();
    private readonly List<int> _picked = new(), _scratch = new();
    private readonly List<double> _slacks = new();
    private readonly HashSet<Request> _chosen = new();
    private readonly HashSet<int> _movable = new();
    private readonly List<int> _victims = new();
    private readonly List<AndesItem> _open = new();
    private readonly List<int> _openIndex = new();
    private double _nextDecision = double.NegativeInfinity;

    public AndesOptions Options => options;
    public string Name => "andes";
    public bool UsesHostTier => false;
    public double NextDecisionTime => _armed ? _nextDecision : double.PositiveInfinity;

    /// <summary>Preemptions this policy chose (the engine's count adds the forced ones of a full device).</summary>
    public long DecisionPreemptions { get; private set; }
    /// <summary>Decisions taken under memory pressure.</summary>
    public long Decisions { get; private set; }

    private bool _armed; // contended and under pressure: the timer matters

    public void Schedule(SchedulerContext ctx, List<ScheduledSequence> batch)
    {
        if (ctx.Now >= _nextDecision && Contended(ctx) && UnderPressure(ctx))
        {
            Decide(ctx);
            _nextDecision = ctx.Now + options.Interval;
        }

        // Between decisions it batches exactly as fcfs does, with the same admission reserve.
        var budget = ctx.Options.MaxBatchedTokens;
        var preemptionsBefore = ctx.Counters.RecomputePreemptions;
        if (!ctx.Options.ChunkedPrefill)
        {
            FcfsScheduler.AdmitAndPrefill(ctx, batch, ref budget, _reservation);
            if (batch.Count == 0) FcfsScheduler.Decode(ctx, batch, ref budget);
        }
        else
        {
            FcfsScheduler.Decode(ctx, batch, ref budget);
            FcfsScheduler.AdmitAndPrefill(ctx, batch, ref budget, null);
        }
        _reservation.Update(ctx, batch, ctx.Counters.RecomputePreemptions > preemptionsBefore);
        _armed = Contended(ctx) && UnderPressure(ctx);
    }

    /// <summary>Device use at or above the pressure threshold: only then may the knapsack preempt.</summary>
    public bool UnderPressure(SchedulerContext ctx) =>
        ctx.Kv.Device.Total - ctx.Kv.DeviceAvailable >= options.MemoryPressure * ctx.Kv.Device.Total;

    /// <summary>One knapsack decision: preempts the requests it leaves out, admits or resumes the ones it picks.</summary>
    public void Decide(SchedulerContext ctx)
    {
        Decisions++;
        var now = ctx.Now;
        var horizon = options.Interval;
        var chunk = ctx.Options.MaxBatchedTokens;
        var counts = ActiveCounts.Of(ctx);
        var tokenSeconds = ctx.Estimates.Predict(Math.Max(1, counts.Resident), 0);
        var capacity = (long)ctx.Kv.Device.Total - ctx.WatermarkBlocks;
        var slots = ctx.Options.MaxNumSeqs;
        var growth = (int)Math.Ceiling(horizon / tokenSeconds);
        var finished = ctx.Counters.FinishedRequests;
        var meanLength = finished > 0 ? (double)ctx.Counters.FinishedOutputTokens / finished : double.NaN;
        _requests.Clear();
        _items.Clear();
        _slacks.Clear();

        // Running requests are candidates; prefilling and loading ones are fixed (preempting them wastes their work).
        var bestOut = double.NegativeInfinity;
        foreach (var r in ctx.Active)
        {
            var blocks = Blocks(ctx, r, growth);
            if (r.State == RequestState.Running)
            {
                Add(r, AndesQoe.Gain(r, now, horizon, tokenSeconds, 0, options.ExpectedTtft, AndesQoe.ExpectedLength(r, meanLength)), blocks);
                _slacks.Add(r.Reader.Slack(now));
            }
            else if (r.State is RequestState.PausedDropped or RequestState.PausedOnHost)
            {
                var delay = ctx.Estimates.RecomputeSeconds(r.TotalTokens, chunk);
                bestOut = Math.Max(bestOut, Add(r, AndesQoe.Gain(r, now, horizon, tokenSeconds, delay, options.ExpectedTtft, AndesQoe.ExpectedLength(r, meanLength)), blocks));
            }
            else if (r.State.IsResident() || r.State == RequestState.Loading)
            {
                capacity -= blocks;
                slots--;
            }
        }
        foreach (var r in ctx.Waiting)
        {
            var delay = ctx.Estimates.RecomputeSeconds(r.PromptLength, chunk);
            bestOut = Math.Max(bestOut, Add(r, AndesQoe.Gain(r, now, horizon, tokenSeconds, delay, options.ExpectedTtft, AndesQoe.ExpectedLength(r, meanLength)), Blocks(ctx, r, growth)));
        }

        // The preemption bound: running requests beyond it, or not beaten by any newcomer, stay.
        var allowed = Math.Min(FrequencyAllowance(ctx), OnlineAllowance(ctx, counts));
        _scratch.Clear();
        for (var i = 0; i < _items.Count; i++)
            if (_requests[i].State == RequestState.Running && Density(i) < bestOut) _scratch.Add(i);
        _scratch.Sort((a, b) => Density(a) != Density(b) ? Density(a).CompareTo(Density(b)) : b.CompareTo(a)); // ties: the newest goes, as in fcfs
        var movable = _movable;
        movable.Clear();
        for (var k = 0; k < _scratch.Count && k < allowed; k++) movable.Add(_scratch[k]);
        var items = _open;
        var index = _openIndex;
        items.Clear();
        index.Clear();
        for (var i = 0; i < _items.Count; i++)
        {
            if (_requests[i].State == RequestState.Running && !movable.Contains(i)) { capacity -= _items[i].Blocks; slots--; continue; }
            items.Add(_items[i]);
            index.Add(i);
        }
        AndesKnapsack.Select(items, Math.Max(0, capacity), Math.Max(0, slots), _picked, _scratch);

        // Victims go only when a picked newcomer needs their room, lowest gain per block first; newcomers
        // also leave fcfs's reserve for the residents' future tokens, or decodes would run out of blocks.
        _chosen.Clear();
        foreach (var k in _picked) _chosen.Add(_requests[index[k]]);
        _victims.Clear();
        foreach (var i in movable) if (!_chosen.Contains(_requests[i])) _victims.Add(i);
        _victims.Sort((a, b) => Density(a) != Density(b) ? Density(a).CompareTo(Density(b)) : b.CompareTo(a));
        var next = 0;
        var reserve = !ctx.Options.ChunkedPrefill;
        var reserved = reserve ? _reservation.ReservedBlocks(ctx) : 0;
        foreach (var k in _picked)
        {
            var r = _requests[index[k]];
            if (r.State.IsResident()) continue;
            var future = reserve && r.State == RequestState.Waiting ? _reservation.BlocksFor(ctx, r) : 0;
            if (!FitsAfterVictims(ctx, r, next, reserved, future)) continue; // preempt nobody for nothing
            while (ctx.Kv.DeviceAvailable - ctx.PrefillBlocks(r) - reserved - future < ctx.WatermarkBlocks && next < _victims.Count)
            {
                ctx.Preempt(_requests[_victims[next++]], PreemptMode.Recompute);
                DecisionPreemptions++;
                reserved = reserve ? _reservation.ReservedBlocks(ctx) : 0;
            }
            if (ctx.Kv.DeviceAvailable - ctx.PrefillBlocks(r) - reserved - future < ctx.WatermarkBlocks) continue;
            if (r.State == RequestState.Waiting) ctx.Admit(r);
            else ctx.Resume(r, PreemptMode.Recompute);
            reserved += future;
        }

        double Add(Request r, double gain, int blocks)
        {
            _requests.Add(r);
            _items.Add(new AndesItem(gain, blocks, _items.Count));
            return gain / blocks;
        }
        double Density(int i) => _items[i].Gain / _items[i].Blocks;
    }

    /// <summary>Whether <paramref name="r"/> would fit if every victim from <paramref name="next"/> on left.</summary>
    private bool FitsAfterVictims(SchedulerContext ctx, Request r, int next, int reserved, int future)
    {
        long room = ctx.Kv.DeviceAvailable;
        for (var i = next; i < _victims.Count; i++)
        {
            var v = _requests[_victims[i]];
            room += ctx.Kv.DeviceBlockTable(v).Count;
            if (!ctx.Options.ChunkedPrefill) reserved -= _reservation.BlocksFor(ctx, v);
        }
        return room - ctx.PrefillBlocks(r) - Math.Max(0, reserved) - future >= ctx.WatermarkBlocks;
    }

    /// <summary>The paper's preemption-frequency cap: at most P preemptions per submitted request, on average.</summary>
    private long FrequencyAllowance(SchedulerContext ctx)
    {
        var cap = (long)Math.Floor(options.PreemptionsPerRequest * ctx.Counters.SubmittedRequests);
        return Math.Max(0, cap - DecisionPreemptions);
    }

    /// <summary>
    /// The authors' online cap: preempt only as many as the slack of the 10th-percentile running
    /// request covers, each costing the recompute of a mean context.
    /// </summary>
    private int OnlineAllowance(SchedulerContext ctx, in ActiveCounts counts)
    {
        if (_slacks.Count == 0 || counts.Count == 0) return 0;
        _slacks.Sort();
        var threshold = _slacks[(int)(options.SacrificePercentile * _slacks.Count)];
        var meanTokens = (int)(counts.ContextBlocks * ctx.Kv.BlockSize / counts.Count);
        var overhead = ctx.Estimates.RecomputeSeconds(Math.Max(1, meanTokens), ctx.Options.MaxBatchedTokens);
        return (int)Math.Min(int.MaxValue, Math.Floor(threshold / overhead));
    }

    /// <summary>Context blocks plus the growth over the next interval (the authors' solver counts one token).</summary>
    private static int Blocks(SchedulerContext ctx, Request r, int growth) =>
        Math.Max(1, ctx.Kv.BlocksFor(r.TotalTokens + Math.Clamp(r.MaxTokens - r.Generated, 1, Math.Max(1, growth))));

    private static bool Contended(SchedulerContext ctx)
    {
        if (ctx.Waiting.Count > 0) return true;
        foreach (var r in ctx.Active) if (r.State is RequestState.PausedDropped or RequestState.PausedOnHost) return true;
        return false;
    }
}
