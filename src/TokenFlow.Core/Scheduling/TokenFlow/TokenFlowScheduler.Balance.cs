using TokenFlow.Core.Metrics;
using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Scheduling;

/// <summary>Step 2 of design §4: each member's utility for the next interval, the selection (<see cref="BufferBalancer"/>), and the switches it implies.</summary>
public sealed partial class TokenFlowScheduler
{
    private readonly List<Request> _memberRequests = new();
    private BalanceMember[] _members = [];
    private bool[] _chosen = [];

    /// <summary>Chooses who runs on the device by utility, then evicts the unchosen residents and brings the chosen paused ones back.</summary>
    private void Balance(SchedulerContext ctx)
    {
        var now = ctx.Now;
        var dt = options.ReplanInterval;
        var residents = Math.Max(1, FcfsScheduler.CountResident(ctx));
        var genRate = 1 / ctx.Estimates.Predict(residents, 0);
        var budget = ctx.Kv.Device.Total - ctx.WatermarkBlocks - ctx.Kv.ReservedForLoads;
        _memberRequests.Clear();
        if (_members.Length < ctx.Active.Count) { _members = new BalanceMember[ctx.Active.Count * 2]; _chosen = new bool[_members.Length]; }
        var n = 0;
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
                    _members[n] = Evaluate(ctx, r, n, genRate, dt, now);
                    _memberRequests.Add(r);
                    n++;
                    break;
            }
        }
        var members = _members.AsSpan(0, n);
        var chosen = _chosen.AsSpan(0, n);
        BufferBalancer.Select(members, chosen, budget, ctx.Options.MaxNumSeqs, options.LocalSearch);

        // Evict first so that loads can reuse the blocks (load–evict overlap).
        for (var i = 0; i < n; i++)
        {
            var r = _memberRequests[members[i].Id];
            if (!chosen[i] && r.State == RequestState.Running) Evict(ctx, r);
        }
        for (var i = 0; i < n; i++)
        {
            var r = _memberRequests[members[i].Id];
            if (chosen[i] && r.State is RequestState.PausedOnHost or RequestState.PausedDropped) Resume(ctx, r);
        }
    }

    private BalanceMember Evaluate(SchedulerContext ctx, Request r, int id, double genRate, double dt, double now)
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
        var useful = produced * RequestMetricsCalculator.Weight(mid, full, zero);
        var penaltyAvoided = options.StarvationWeight * (Phi(afterIdle / rate) - Phi(afterRun / rate));
        var utility = useful + penaltyAvoided;
        var switchSeconds = 0.0;
        if (!resident)
        {
            // Coming back costs the tokens not produced while the KV moves or is recomputed.
            switchSeconds = _costs.ReturnSeconds(ctx, r);
            utility -= genRate * switchSeconds * RequestMetricsCalculator.Weight(buffer, full, zero);
        }
        var slack = buffer / rate;
        var forced = resident && (slack < options.CriticalSlack || !IsVictim(ctx, r));
        // A paused stream that would run dry before the next chance to load it must come back now.
        if (!resident && slack - dt - switchSeconds < options.CriticalSlack) utility += 1e6 - slack;
        var size = ctx.Kv.BlocksFor(r.TotalTokens + (int)Math.Ceiling(produced) + 1);
        return new BalanceMember(id, utility, size, forced, resident, r.Priority, r.ArrivalTime);
    }

    private double Phi(double slackSeconds) => Math.Exp(-slackSeconds / options.SlackScale);
}
