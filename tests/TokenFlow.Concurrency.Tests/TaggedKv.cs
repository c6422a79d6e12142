using Microsoft.Coyote.Runtime;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Concurrency.Tests;

/// <summary>
/// KV arenas of one int per block: the "content" of a block is a tag of (request, block index,
/// positions filled). Compute writes tags, copies move them block by block with a scheduling point
/// between blocks (so a copy is never atomic), and every read checks them: a block reused, freed or
/// overwritten while a copy still touched it shows up as a wrong tag.
/// </summary>
internal sealed class TaggedArena(int deviceBlocks, int hostBlocks, int blockSize) : IKvBlockCopier
{
    public int[] Device { get; } = new int[deviceBlocks];
    public int[] Host { get; } = new int[hostBlocks];
    public int BlockSize => blockSize;

    public static int Tag(Request r, int block, int filled) => HashCode.Combine(r.Id, block, filled);

    public int Filled(int block, int computed) => Math.Clamp(computed - block * blockSize, 0, blockSize);

    public void Copy(bool toHost, ReadOnlySpan<int> sourceBlocks, ReadOnlySpan<int> destinationBlocks)
    {
        var (from, to) = toHost ? (Device, Host) : (Host, Device);
        for (var i = 0; i < sourceBlocks.Length; i++)
        {
            var v = from[sourceBlocks[i]];
            SchedulingPoint.Interleave();
            to[destinationBlocks[i]] = v;
        }
    }

    /// <summary>Computes positions [from, to) of <paramref name="r"/> into its device blocks, after checking the KV it attends to.</summary>
    public void Compute(Request r, IReadOnlyList<int> table, int from, int to)
    {
        CheckDevice(r, table, from);
        for (var k = from / blockSize; k * blockSize < to; k++) Device[table[k]] = Tag(r, k, Filled(k, to));
    }

    /// <summary>Positions [0, computed) hold this request's KV on the device.</summary>
    public void CheckDevice(Request r, IReadOnlyList<int> table, int computed) => Check(r, table, computed, Device, "device");

    public void CheckHost(Request r, IReadOnlyList<int> table, int computed) => Check(r, table, computed, Host, "host");

    private void Check(Request r, IReadOnlyList<int> table, int computed, int[] arena, string tier)
    {
        for (var k = 0; k * blockSize < computed; k++)
        {
            var want = Tag(r, k, Filled(k, computed));
            if (arena[table[k]] != want)
                throw new InvalidOperationException($"{r}: {tier} block {table[k]} (index {k}) does not hold its KV for {computed} positions");
        }
    }
}

/// <summary>
/// A model for the engine host: computes through the tagged arena (checking the attended KV) and
/// samples a token that is a pure function of (prompt, position), so output must not depend on
/// preemption, offload or batching.
/// </summary>
internal sealed class TaggedExecutor(TaggedArena arena) : IExecutor
{
    public long KvBytesPerBlock => 1024;
    public int? EosTokenId => null;

    public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var s = batch[i];
            arena.Compute(s.Request, s.BlockTable, s.Start, s.Start + s.Count);
            if (s.Samples) sampled[i] = TokenFor(s.Request, s.Start + s.Count);
        }
        SchedulingPoint.Interleave(); // the forward pass takes time: copies and clients move meanwhile
    }

    public static int TokenFor(Request r, int position) => (int)((uint)HashCode.Combine(r.PromptTokens[0], position) % 500) + 3;
}
