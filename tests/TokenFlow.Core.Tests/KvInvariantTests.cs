using FsCheck.Xunit;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Tests;

/// <summary>
/// Property: whatever sequence of admits, growth, write-through, preemptions (offload or
/// recompute), resumes, aborts and completions happens — with copies landing at arbitrary times —
/// no block is double-owned or leaked, the free counts return to the totals, and the bytes
/// accounted for match the blocks moved.
/// </summary>
public sealed class KvInvariantTests
{
    private const int Operations = 10_000;
    private const long BytesPerBlock = 4096;

    private sealed class CountingTransfers(ITransferEngine inner) : ITransferEngine
    {
        public long SubmittedToHostBlocks, SubmittedToDeviceBlocks;
        public void Submit(TransferJob job)
        {
            if (job.SourceBlocks.Length != job.DestinationBlocks.Length) throw new InvalidOperationException("unpaired copy");
            if (job.Bytes != job.SourceBlocks.Length * BytesPerBlock) throw new InvalidOperationException("bytes do not match blocks");
            if (job.Kind.IsToHost()) SubmittedToHostBlocks += job.SourceBlocks.Length; else SubmittedToDeviceBlocks += job.SourceBlocks.Length;
            inner.Submit(job);
        }
        public void Poll(List<TransferJob> completed) => inner.Poll(completed);
        public double? NextCompletionTime => inner.NextCompletionTime;
        public int InFlight => inner.InFlight;
        public double EstimateCompletionDelay(TransferKind kind, long bytes) => inner.EstimateCompletionDelay(kind, bytes);
        public double Bandwidth(bool toHost) => inner.Bandwidth(toHost);
    }

    [Property(MaxTest = 12)]
    public void RandomOperationsKeepEveryBlockAccountedFor(int seed, bool writeThrough, bool partial, bool overlap)
    {
        var rng = new Random(seed);
        var clock = new VirtualClock();
        var link = new LinkModel(BytesPerBlock * 1000.0, PerTransferSeconds: 1e-3, PerBlockSeconds: 1e-4);
        var transfers = new CountingTransfers(new VirtualTransferEngine(clock, link, link));
        var options = new KvCacheOptions { BlockSize = 4, DeviceBlocks = 64, HostBlocks = 160, WriteThrough = writeThrough, PartialReclamation = partial, LoadEvictOverlap = overlap };
        var kv = new KvCacheManager(options, transfers, BytesPerBlock, Engine.KvStateTransitions.Instance);
        var live = new List<Request>();
        var done = new List<TransferJob>();
        var next = 0;

        for (var op = 0; op < Operations; op++)
        {
            var r = live.Count > 0 ? live[rng.Next(live.Count)] : null;
            switch (rng.Next(10))
            {
                case 0: // admit
                    var req = new Request($"r{next++}", new int[rng.Next(1, 40)], 1000, 10, clock.Now);
                    if (kv.TryEnsureCapacity(req, req.PromptLength)) { req.MoveTo(RequestState.Prefilling); live.Add(req); }
                    break;
                case 1: case 2: // compute: grow by a chunk or one decode token
                    if (r is { State: RequestState.Prefilling or RequestState.Running })
                    {
                        if (r.RemainingToCompute > 1) { if (kv.TryEnsureCapacity(r, r.TotalTokens - 1)) r.NumComputed = r.TotalTokens - 1; }
                        else if (kv.TryEnsureCapacity(r, r.TotalTokens + 1)) { r.NumComputed = r.TotalTokens; r.AppendToken(7, clock.Now); }
                        var to = r.RemainingToCompute > 1 ? RequestState.Prefilling : RequestState.Running;
                        if (r.State != to) r.MoveTo(to);
                    }
                    break;
                case 3: // write-through
                    kv.ScheduleWriteThrough(live.Where(x => x.State.IsResident()).ToArray(), rng.NextDouble() * 0.05);
                    break;
                case 4: // preempt
                    if (r is not null && r.State.IsResident()) kv.Preempt(r, rng.Next(3) == 0 ? PreemptMode.Recompute : PreemptMode.Offload);
                    break;
                case 5: // resume
                    if (r?.State == RequestState.PausedOnHost) kv.RequestLoad(r);
                    else if (r?.State == RequestState.PausedDropped && kv.TryEnsureCapacity(r, r.TotalTokens)) r.MoveTo(RequestState.Prefilling);
                    break;
                case 6: // abort or complete, from any state
                    if (r is not null) { kv.Release(r); r.MoveTo(RequestState.Aborted); live.Remove(r); }
                    break;
                default: // time passes; copies land
                    clock.Advance(rng.NextDouble() * 0.01);
                    done.Clear();
                    transfers.Poll(done);
                    foreach (var j in done) kv.OnTransferComplete(j);
                    break;
            }
            kv.Validate(live);
            foreach (var x in live)
                if (x.State is RequestState.PausedOnHost)
                    Assert.True(kv.HostBlockTable(x).Count >= kv.BlocksFor(x.NumComputed), $"{x} paused on host without its KV on the host");
        }

        foreach (var x in live.ToArray()) kv.Release(x);
        live.Clear();
        while (transfers.InFlight > 0)
        {
            clock.Advance(1);
            done.Clear();
            transfers.Poll(done);
            foreach (var j in done) kv.OnTransferComplete(j);
        }
        kv.Validate(live);
        Assert.Equal(kv.Device.Total, kv.Device.FreeCount);
        Assert.Equal(kv.Host.Total, kv.Host.FreeCount);
        Assert.Equal(0, kv.ReservedForLoads);
        Assert.True(kv.BlocksToHost > 0 && kv.BlocksToDevice > 0, "the run moved no blocks between tiers");
        Assert.Equal(transfers.SubmittedToHostBlocks, kv.BlocksToHost);
        Assert.Equal(transfers.SubmittedToDeviceBlocks, kv.BlocksToDevice);
        Assert.Equal(kv.BlocksToHost * BytesPerBlock, kv.BytesToHost);
        Assert.Equal(kv.BlocksToDevice * BytesPerBlock, kv.BytesToDevice);
    }

    [Fact]
    public void BlockFreedTwiceThrows()
    {
        var pool = new BlockPool(KvTier.Device, 4);
        var got = new List<int>();
        Assert.True(pool.TryAllocate(2, got));
        pool.Free(got[0]);
        Assert.Throws<InvalidOperationException>(() => pool.Free(got[0]));
    }

    [Fact]
    public void PinnedBlockReturnsWhenUnpinned()
    {
        var pool = new BlockPool(KvTier.Host, 2);
        var got = new List<int>();
        pool.TryAllocate(1, got);
        pool.Pin(got[0]);
        pool.Free(got[0]);
        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(1, pool.PendingFreeCount);
        pool.Unpin(got[0]);
        Assert.Equal(2, pool.FreeCount);
        pool.Validate();
    }
}
