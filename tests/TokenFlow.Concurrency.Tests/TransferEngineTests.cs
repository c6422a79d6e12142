using Microsoft.Coyote.Random;
using Microsoft.Coyote.Runtime;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;
using Xunit.Abstractions;

namespace TokenFlow.Concurrency.Tests;

/// <summary>
/// The <see cref="ThreadedTransferEngine"/>'s real copy threads under Coyote: loads, offloads and
/// write-through in flight while the engine side aborts, completes, preempts and resumes requests.
/// After every operation of every schedule the design §5 invariants hold: each block in exactly one
/// state, none freed twice (BlockPool throws), tables and pools agree, and every resident or
/// host-paused request's KV is intact; at the end the free counts return to the totals.
/// </summary>
public sealed class TransferEngineTests(ITestOutputHelper output)
{
    private const int BlockSize = 4, DeviceBlocks = 12, HostBlocks = 24, Operations = 30;

    [Fact]
    public void CopiesRacingAbortsCompletionsAndPreemptionsKeepEveryBlockAccountedFor()
    {
        s_completed = s_racedAborts = 0;
        Coyote.Run(() => RunOnce(Generator.Create()), output, maxSteps: 20000);
        output.WriteLine($"{s_completed} schedules ran to the final check; {s_racedAborts} aborts hit a request with copies in flight");
        Assert.Equal((int)Coyote.Iterations, s_completed); // no schedule was cut short by the step bound
        Assert.True(s_racedAborts > 0, "no abort ever raced a copy");
    }

    private static int s_completed, s_racedAborts;

    private static void RunOnce(Generator gen)
    {
        using var clock = new SystemClock();
        var arena = new TaggedArena(DeviceBlocks, HostBlocks, BlockSize);
        var transfers = new ThreadedTransferEngine(clock, arena);
        var options = new KvCacheOptions { BlockSize = BlockSize, DeviceBlocks = DeviceBlocks, HostBlocks = HostBlocks, WriteThrough = true, PartialReclamation = gen.NextBoolean(), LoadEvictOverlap = gen.NextBoolean() };
        var kv = new KvCacheManager(options, transfers, 1024, KvStateTransitions.Instance);
        var live = new List<Request>();
        var done = new List<TransferJob>();
        var next = 0;

        void Land()
        {
            done.Clear();
            transfers.Poll(done);
            foreach (var j in done) kv.OnTransferComplete(j);
        }

        for (var op = 0; op < Operations; op++)
        {
            var r = live.Count > 0 ? live[gen.NextInteger(live.Count)] : null;
            switch (gen.NextInteger(8))
            {
                case 0: // admit
                    var req = new Request($"r{next++}", new[] { next, 1, 2, 3, 4, 5, 6, 7, 8 }[..(1 + gen.NextInteger(8))], 64, 10, clock.Now);
                    if (kv.TryEnsureCapacity(req, req.PromptLength)) { req.MoveTo(RequestState.Prefilling); live.Add(req); }
                    break;
                case 1: // compute a prompt chunk or a decode token
                    if (r is { State: RequestState.Prefilling or RequestState.Running })
                    {
                        var upTo = r.RemainingToCompute > 1 ? r.TotalTokens - 1 : r.TotalTokens;
                        if (!kv.TryEnsureCapacity(r, upTo + 1)) break;
                        arena.Compute(r, kv.DeviceBlockTable(r), r.NumComputed, upTo);
                        r.NumComputed = upTo;
                        if (r.RemainingToCompute == 0) r.AppendToken(7, clock.Now);
                        var to = r.RemainingToCompute > 1 ? RequestState.Prefilling : RequestState.Running;
                        if (r.State != to) r.MoveTo(to);
                    }
                    break;
                case 2: // write-through of the residents' full blocks
                    kv.ScheduleWriteThrough(live.Where(x => x.State.IsResident()).ToArray(), 1.0);
                    break;
                case 3: // preempt
                    if (r is not null && r.State.IsResident()) kv.Preempt(r, gen.NextInteger(3) == 0 ? PreemptMode.Recompute : PreemptMode.Offload);
                    break;
                case 4: // resume
                    if (r?.State == RequestState.PausedOnHost) kv.RequestLoad(r);
                    else if (r?.State == RequestState.PausedDropped && kv.TryEnsureCapacity(r, r.TotalTokens)) r.MoveTo(RequestState.Prefilling);
                    break;
                case 5: // abort from any state, or complete a resident one, with copies possibly in flight
                    if (r is null) break;
                    if (transfers.InFlight > 0) s_racedAborts++;
                    kv.Release(r);
                    r.MoveTo(r.State.IsResident() && gen.NextBoolean() ? RequestState.Finished : RequestState.Aborted);
                    live.Remove(r);
                    break;
                default: // copies land
                    SchedulingPoint.Interleave();
                    Land();
                    break;
            }
            CheckInvariants(kv, arena, live);
        }

        foreach (var x in live) kv.Release(x);
        live.Clear();
        while (transfers.InFlight > 0) { clock.SleepUntil(clock.Now + 1); Land(); } // a landing copy wakes the clock
        kv.Validate(live);
        if (kv.Device.FreeCount != DeviceBlocks || kv.Host.FreeCount != HostBlocks)
            throw new InvalidOperationException($"blocks leaked: device {kv.Device.FreeCount}/{DeviceBlocks}, host {kv.Host.FreeCount}/{HostBlocks} free");
        if (kv.ReservedForLoads != 0) throw new InvalidOperationException($"{kv.ReservedForLoads} device blocks still promised to loads");
        transfers.Dispose();
        s_completed++;
    }

    private static void CheckInvariants(KvCacheManager kv, TaggedArena arena, List<Request> live)
    {
        kv.Validate(live);
        foreach (var x in live)
        {
            if (x.State.IsResident()) arena.CheckDevice(x, kv.DeviceBlockTable(x), x.NumComputed);
            else if (x.State == RequestState.PausedOnHost) arena.CheckHost(x, kv.HostBlockTable(x), x.NumComputed);
        }
    }
}
