using TokenFlow.Core.Requests;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Kv;

/// <summary>
/// The tiered, paged KV cache (design §5): block tables on both tiers, write-through of full blocks,
/// offload and recompute preemption, and loads back to the device. Every block is owned by exactly
/// one sequence or free; copies pin their blocks, so nothing is reused while it is being read.
/// It reports preemptions and completed loads and offloads to its <see cref="IKvListener"/>, which
/// owns the request states.
/// </summary>
public sealed class KvCacheManager
{
    private readonly ITransferEngine _transfers;
    private readonly IKvListener _listener;
    private readonly List<Request> _pendingLoads = new();
    private long _nextJobId;

    /// <param name="listener">Told of preemptions, queued loads and completed loads and offloads; by default the engine's state transitions.</param>
    public KvCacheManager(KvCacheOptions options, ITransferEngine transfers, long bytesPerBlock, IKvListener? listener = null)
    {
        _listener = listener ?? Engine.KvStateTransitions.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 1);
        Options = options;
        _transfers = transfers;
        BytesPerBlock = bytesPerBlock;
        Device = new BlockPool(KvTier.Device, options.DeviceBlocks);
        Host = new BlockPool(KvTier.Host, options.HostBlocks);
    }

    public KvCacheOptions Options { get; }
    public int BlockSize => Options.BlockSize;
    public long BytesPerBlock { get; }
    public BlockPool Device { get; }
    public BlockPool Host { get; }
    public ITransferEngine Transfers => _transfers;

    public long BytesToHost { get; private set; }
    public long BytesToDevice { get; private set; }
    public long BlocksToHost { get; private set; }
    public long BlocksToDevice { get; private set; }
    public int InFlightOffloads { get; private set; }
    public int PeakDeviceUsed { get; private set; }

    /// <summary>Device blocks promised to loads that have not started.</summary>
    public int ReservedForLoads { get; private set; }

    /// <summary>Device blocks free now and not promised to a queued load.</summary>
    public int DeviceAvailable => Device.FreeCount - ReservedForLoads;

    /// <summary>Device blocks that are free or will be once in-flight copies land, minus load promises.</summary>
    public int DeviceAvailableSoon => Device.FreeCount + Device.PendingFreeCount - ReservedForLoads;

    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    public IReadOnlyList<int> DeviceBlockTable(Request r) => r.Kv.Device;
    public IReadOnlyList<int> HostBlockTable(Request r) => r.Kv.Host;
    public int SyncedTokens(Request r) => r.Kv.SyncedTokens;

    /// <summary>True when write-through has full blocks of this request left to copy.</summary>
    public bool HasUnsyncedFullBlocks(Request r) => r.NumComputed / BlockSize > r.Kv.WritingTokens / BlockSize;

    /// <summary>Device blocks still needed so that positions [0, upTo) have a block.</summary>
    public int ExtraBlocksFor(Request r, int upTo) => Math.Max(0, BlocksFor(upTo) - r.Kv.Device.Count);

    /// <summary>Makes sure device blocks cover positions [0, upTo). Fails without side effects.</summary>
    public bool TryEnsureCapacity(Request r, int upTo)
    {
        var need = ExtraBlocksFor(r, upTo);
        if (need == 0) return true;
        if (need > DeviceAvailable) return false;
        Device.TryAllocate(need, r.Kv.Device);
        PeakDeviceUsed = Math.Max(PeakDeviceUsed, Device.UsedCount);
        return true;
    }

    /// <summary>Gives back device blocks beyond what positions [0, upTo) need (after a failed batch build).</summary>
    public void TrimTo(Request r, int upTo)
    {
        var keep = BlocksFor(upTo);
        var kv = r.Kv;
        while (kv.Device.Count > keep)
        {
            Device.Free(kv.Device[^1]);
            kv.Device.RemoveAt(kv.Device.Count - 1);
        }
    }

    /// <summary>Releases every block of a finished or aborted request.</summary>
    public void Release(Request r)
    {
        CancelPendingLoad(r);
        DropAll(r);
    }

    /// <summary>
    /// Preempts a resident request. Offload frees synced blocks at once and writes the tail; it
    /// falls back to recompute when offload is off or the host tier is full. Returns what was done.
    /// </summary>
    public PreemptMode Preempt(Request r, PreemptMode preferred)
    {
        if (!r.State.IsResident()) throw new InvalidOperationException($"cannot preempt {r}: not resident");
        var kv = r.Kv;
        if (preferred == PreemptMode.Offload && Options.Offload)
        {
            var firstTail = kv.WritingTokens / BlockSize;
            var used = BlocksFor(r.NumComputed);
            var newHost = Math.Max(0, used - kv.Host.Count);
            if (newHost <= Host.FreeCount)
            {
                Host.TryAllocate(newHost, kv.Host);
                TrimTo(r, r.NumComputed); // blocks reserved ahead for the next tokens hold nothing yet
                var src = kv.Device.GetRange(firstTail, used - firstTail).ToArray();
                var dst = kv.Host.GetRange(firstTail, used - firstTail).ToArray();
                var partial = Options.PartialReclamation;
                if (partial)
                {
                    // Synced blocks go back at once (or when their in-flight write-through lands);
                    // the tail goes back when its own copy lands.
                    for (var k = 0; k < firstTail; k++) Device.Free(kv.Device[k]);
                    kv.Device.Clear();
                }
                r.SwapPreemptions++;
                kv.WritingTokens = r.NumComputed;
                kv.Offloading = true;
                _listener.OnPreempted(r, PreemptMode.Offload);
                if (src.Length > 0) Submit(TransferKind.Offload, r, src, dst, r.NumComputed, freeSourceAfter: partial);
                else if (kv.PendingJobs == 0) FinishOffload(r);
                return PreemptMode.Offload;
            }
        }
        DropAll(r);
        r.RecomputePreemptions++;
        _listener.OnPreempted(r, PreemptMode.Recompute);
        return PreemptMode.Recompute;
    }

    /// <summary>Queues a load of a request paused on the host. It starts when device blocks allow.</summary>
    public void RequestLoad(Request r)
    {
        if (r.State != RequestState.PausedOnHost) throw new InvalidOperationException($"cannot load {r}: not paused on host");
        var kv = r.Kv;
        kv.LoadDemand = BlocksFor(r.NumComputed);
        ReservedForLoads += kv.LoadDemand;
        _pendingLoads.Add(r);
        _listener.OnLoadQueued(r);
        StartPendingLoads();
    }

    /// <summary>Starts queued loads in order while device blocks are free (and, without overlap, no offload is in flight).</summary>
    public void StartPendingLoads()
    {
        while (_pendingLoads.Count > 0)
        {
            if (!Options.LoadEvictOverlap && InFlightOffloads > 0) return;
            var r = _pendingLoads[0];
            var kv = r.Kv;
            if (kv.Device.Count != 0) throw new InvalidOperationException($"{r} is loading but already holds device blocks");
            if (kv.LoadDemand > Device.FreeCount) return;
            _pendingLoads.RemoveAt(0);
            ReservedForLoads -= kv.LoadDemand;
            Device.TryAllocate(kv.LoadDemand, kv.Device);
            PeakDeviceUsed = Math.Max(PeakDeviceUsed, Device.UsedCount);
            kv.LoadDemand = 0;
            Submit(TransferKind.Load, r, kv.Host.GetRange(0, kv.Device.Count).ToArray(), kv.Device.ToArray(), r.NumComputed, freeSourceAfter: false);
        }
    }

    public int PendingLoadCount => _pendingLoads.Count;

    /// <summary>
    /// Synchronous chunked write-through: submits copies of full, unsynced blocks, largest buffer
    /// first, as many as fit in <paramref name="budgetSeconds"/> at the link's bandwidth.
    /// </summary>
    public void ScheduleWriteThrough(IEnumerable<Request> byBufferDescending, double budgetSeconds)
    {
        if (!Options.WriteThrough || budgetSeconds <= 0) return;
        var budgetBlocks = (long)(budgetSeconds * _transfers.Bandwidth(toHost: true) / Math.Max(1, BytesPerBlock));
        foreach (var r in byBufferDescending)
        {
            if (budgetBlocks <= 0) return;
            if (!r.State.IsResident()) continue;
            var kv = r.Kv;
            var first = kv.WritingTokens / BlockSize;
            var end = Math.Min(r.NumComputed / BlockSize, kv.Device.Count);
            var count = (int)Math.Min(end - first, budgetBlocks);
            if (count <= 0) continue;
            var newHost = Math.Max(0, first + count - kv.Host.Count);
            if (newHost > Host.FreeCount) return;
            Host.TryAllocate(newHost, kv.Host);
            budgetBlocks -= count;
            var upTo = (first + count) * BlockSize;
            kv.WritingTokens = upTo;
            Submit(TransferKind.WriteThrough, r, kv.Device.GetRange(first, count).ToArray(), kv.Host.GetRange(first, count).ToArray(), upTo, freeSourceAfter: false);
        }
    }

    /// <summary>Applies a finished copy: advances the host mark, completes offloads and loads, unpins blocks.</summary>
    public void OnTransferComplete(TransferJob job)
    {
        var r = job.Request;
        var kv = r.Kv;
        var src = job.Kind == TransferKind.Load ? Host : Device;
        var dst = job.Kind == TransferKind.Load ? Device : Host;
        foreach (var b in job.SourceBlocks) src.Unpin(b);
        foreach (var b in job.DestinationBlocks) dst.Unpin(b);
        var blocks = job.SourceBlocks.Length;
        if (job.Kind.IsToHost()) { BytesToHost += job.Bytes; BlocksToHost += blocks; }
        else { BytesToDevice += job.Bytes; BlocksToDevice += blocks; }
        if (job.Kind == TransferKind.Offload) InFlightOffloads--;
        if (job.Epoch != kv.Epoch) return; // the KV was dropped meanwhile; the blocks are already freed
        kv.PendingJobs--;
        switch (job.Kind)
        {
            case TransferKind.WriteThrough:
            case TransferKind.Offload:
                kv.SyncedTokens = Math.Max(kv.SyncedTokens, job.SyncedTokensAfter);
                break;
            case TransferKind.Load:
                _listener.OnLoadCompleted(r);
                break;
        }
        if (kv.Offloading && kv.PendingJobs == 0) FinishOffload(r);
        StartPendingLoads();
    }

    private void FinishOffload(Request r)
    {
        var kv = r.Kv;
        foreach (var b in kv.Device) Device.Free(b);
        kv.Device.Clear();
        kv.SyncedTokens = r.NumComputed;
        kv.Offloading = false;
        _listener.OnOffloadCompleted(r);
    }

    private void Submit(TransferKind kind, Request r, int[] src, int[] dst, int syncedAfter, bool freeSourceAfter)
    {
        var kv = r.Kv;
        var srcPool = kind == TransferKind.Load ? Host : Device;
        var dstPool = kind == TransferKind.Load ? Device : Host;
        foreach (var b in src) srcPool.Pin(b);
        foreach (var b in dst) dstPool.Pin(b);
        if (freeSourceAfter)
            foreach (var b in src) srcPool.Free(b); // returns to the free list when the copy unpins it
        kv.PendingJobs++;
        if (kind == TransferKind.Offload) InFlightOffloads++;
        _transfers.Submit(new TransferJob(++_nextJobId, kind, r, src, dst, src.Length * BytesPerBlock)
        {
            SyncedTokensAfter = syncedAfter,
            Epoch = kv.Epoch,
        });
    }

    private void CancelPendingLoad(Request r)
    {
        if (_pendingLoads.Remove(r))
        {
            ReservedForLoads -= r.Kv.LoadDemand;
            r.Kv.LoadDemand = 0;
        }
    }

    private void DropAll(Request r)
    {
        var kv = r.Kv;
        foreach (var b in kv.Device) Device.Free(b);
        foreach (var b in kv.Host) Host.Free(b);
        kv.Device.Clear();
        kv.Host.Clear();
        kv.SyncedTokens = 0;
        kv.WritingTokens = 0;
        kv.PendingJobs = 0;
        kv.Offloading = false;
        kv.Epoch++;
        r.NumComputed = 0;
    }

    /// <summary>Checks both pools and every live sequence's tables against each other. Throws on a violation.</summary>
    public void Validate(IEnumerable<Request> live)
    {
        Device.Validate();
        Host.Validate();
        var devOwner = new Dictionary<int, Request>();
        var hostOwner = new Dictionary<int, Request>();
        foreach (var r in live)
        {
            foreach (var b in r.Kv.Device)
            {
                if (!Device.IsOwned(b)) throw new InvalidOperationException($"{r} holds device block {b} that is not owned");
                if (!devOwner.TryAdd(b, r)) throw new InvalidOperationException($"device block {b} owned by {devOwner[b]} and {r}");
            }
            foreach (var b in r.Kv.Host)
            {
                if (!Host.IsOwned(b)) throw new InvalidOperationException($"{r} holds host block {b} that is not owned");
                if (!hostOwner.TryAdd(b, r)) throw new InvalidOperationException($"host block {b} owned by {hostOwner[b]} and {r}");
            }
            if (r.State.IsResident() && r.Kv.Device.Count < BlocksFor(r.NumComputed))
                throw new InvalidOperationException($"{r} is resident but its device table does not cover its KV");
        }
        var ownedDevice = Device.Total - Device.FreeCount - Device.PendingFreeCount;
        var ownedHost = Host.Total - Host.FreeCount - Host.PendingFreeCount;
        if (ownedDevice != devOwner.Count) throw new InvalidOperationException($"device: {ownedDevice} blocks owned but {devOwner.Count} in tables (leak)");
        if (ownedHost != hostOwner.Count) throw new InvalidOperationException($"host: {ownedHost} blocks owned but {hostOwner.Count} in tables (leak)");
        var reserved = _pendingLoads.Sum(r => r.Kv.LoadDemand);
        if (reserved != ReservedForLoads) throw new InvalidOperationException($"load reservations {ReservedForLoads} != {reserved}");
    }
}
