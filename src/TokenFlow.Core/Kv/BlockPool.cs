namespace TokenFlow.Core.Kv;

/// <summary>
/// Fixed-size KV blocks of one tier. A block is free, owned, or owned-and-freed while a copy still
/// touches it (pinned): then it returns to the free list when the last pin goes.
/// </summary>
public sealed class BlockPool
{
    private enum BlockState : byte { Free, Owned, FreeWhenUnpinned }

    private readonly Stack<int> _free;
    private readonly BlockState[] _state;
    private readonly int[] _pins;

    public BlockPool(KvTier tier, int totalBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalBlocks);
        Tier = tier;
        Total = totalBlocks;
        _state = new BlockState[totalBlocks];
        _pins = new int[totalBlocks];
        _free = new Stack<int>(totalBlocks);
        for (var i = totalBlocks - 1; i >= 0; i--) _free.Push(i);
    }

    public KvTier Tier { get; }
    public int Total { get; }
    public int FreeCount => _free.Count;
    /// <summary>Blocks freed by their owner but still pinned by an in-flight copy.</summary>
    public int PendingFreeCount { get; private set; }
    public int UsedCount => Total - _free.Count;

    public bool TryAllocate(int count, List<int> into)
    {
        if (count > _free.Count) return false;
        for (var i = 0; i < count; i++)
        {
            var b = _free.Pop();
            _state[b] = BlockState.Owned;
            into.Add(b);
        }
        return true;
    }

    public void Free(int block)
    {
        switch (_state[block])
        {
            case BlockState.Owned when _pins[block] > 0:
                _state[block] = BlockState.FreeWhenUnpinned;
                PendingFreeCount++;
                break;
            case BlockState.Owned:
                _state[block] = BlockState.Free;
                _free.Push(block);
                break;
            default:
                throw new InvalidOperationException($"{Tier} block {block} freed twice");
        }
    }

    public void Pin(int block)
    {
        if (_state[block] != BlockState.Owned) throw new InvalidOperationException($"{Tier} block {block} pinned while not owned");
        _pins[block]++;
    }

    public void Unpin(int block)
    {
        if (_pins[block] <= 0) throw new InvalidOperationException($"{Tier} block {block} unpinned more than pinned");
        if (--_pins[block] == 0 && _state[block] == BlockState.FreeWhenUnpinned)
        {
            _state[block] = BlockState.Free;
            PendingFreeCount--;
            _free.Push(block);
        }
    }

    public bool IsOwned(int block) => _state[block] == BlockState.Owned;
    public bool IsPinned(int block) => _pins[block] > 0;

    /// <summary>Checks that the free list and the per-block states agree. Throws on the first violation.</summary>
    public void Validate()
    {
        var seen = new bool[Total];
        foreach (var b in _free)
        {
            if (seen[b]) throw new InvalidOperationException($"{Tier} block {b} is on the free list twice");
            seen[b] = true;
            if (_state[b] != BlockState.Free) throw new InvalidOperationException($"{Tier} block {b} is on the free list but {_state[b]}");
            if (_pins[b] != 0) throw new InvalidOperationException($"{Tier} block {b} is free but pinned");
        }
        var pending = 0;
        for (var b = 0; b < Total; b++)
        {
            if (_state[b] == BlockState.Free && !seen[b]) throw new InvalidOperationException($"{Tier} block {b} is free but not on the free list");
            if (_state[b] == BlockState.FreeWhenUnpinned) pending++;
        }
        if (pending != PendingFreeCount) throw new InvalidOperationException($"{Tier} pending-free count {PendingFreeCount} != {pending}");
    }
}
