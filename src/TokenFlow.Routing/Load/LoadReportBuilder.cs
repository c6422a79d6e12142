using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;

namespace TokenFlow.Routing.Load;

/// <summary>Builds a <see cref="LoadReport"/> from an engine. Must run on the engine's thread.</summary>
public static class LoadReportBuilder
{
    public static LoadReport Build(LlmEngine engine, double time)
    {
        var now = engine.Clock.Now;
        var kv = engine.Kv;
        double sumRate = 0, blocks = 0;
        int running = 0, paused = 0;
        var minSlack = double.PositiveInfinity;
        long backlog = 0;
        foreach (var r in engine.Active)
        {
            sumRate += r.Rate;
            blocks += kv.BlocksFor(r.TotalTokens);
            if (r.State.IsPaused()) { paused++; continue; }
            running++;
            if (r.Generated > 0) minSlack = Math.Min(minSlack, r.Reader.Slack(now));
            if (r.State == RequestState.Prefilling) backlog += r.RemainingToCompute;
        }
        foreach (var r in engine.Waiting) backlog += r.PromptLength;
        return new LoadReport
        {
            SumRate = sumRate,
            Capacity = Capacity(engine, blocks),
            Waiting = engine.Waiting.Count,
            Running = running,
            Paused = paused,
            DeviceFreeBlocks = kv.Device.FreeCount,
            DeviceTotalBlocks = kv.Device.Total,
            HostFreeBlocks = kv.Host.FreeCount,
            HostTotalBlocks = kv.Host.Total,
            BlockSize = kv.BlockSize,
            MinSlack = double.IsPositiveInfinity(minSlack) ? null : minSlack,
            PrefillBacklogTokens = backlog,
            Time = time,
        };
    }

    /// <summary>
    /// Γ as the tokenflow guard measures it: decode tokens/s with as many streams on the device as fit
    /// at the working set's mean footprint (the finished requests' mean when the set is empty).
    /// </summary>
    private static double Capacity(LlmEngine engine, double workingSetBlocks)
    {
        var kv = engine.Kv;
        var members = engine.Active.Count;
        double perStream;
        if (members > 0) perStream = Math.Max(1, workingSetBlocks / members);
        else if (engine.Counters.FinishedRequests > 0) perStream = Math.Max(1, (double)engine.Counters.FinishedContextTokens / engine.Counters.FinishedRequests / kv.BlockSize);
        else perStream = Math.Max(1, 512.0 / kv.BlockSize);
        var n = (int)Math.Min(engine.Options.MaxNumSeqs, Math.Max(1, kv.Device.Total / perStream));
        return engine.Estimates.DecodeCapacity(n);
    }
}
