using System.Runtime.InteropServices;

namespace TokenFlow.Inference.Execution;

/// <summary>
/// One tier's KV memory: <c>Blocks</c> fixed-size blocks, each holding K and V of every layer for
/// <c>BlockSize</c> positions, laid out [layer][K|V][slot][kv_dim] so that a block is one
/// contiguous range and tier copies are single memcpys.
/// </summary>
public sealed unsafe class KvArena : IDisposable
{
    public KvArena(int blocks, int blockSize, int layers, int kvDim)
    {
        Blocks = blocks;
        BlockSize = blockSize;
        Layers = layers;
        KvDim = kvDim;
        FloatsPerBlock = (long)layers * 2 * blockSize * kvDim;
        Bytes = Math.Max(1, FloatsPerBlock * blocks * sizeof(float));
        // Huge pages when big enough: attention streams every cached position's K/V each step, and on
        // 4 KiB pages that is a TLB miss per page (B=32 decode reads ~85 MB of KV per step for stories15M).
        var huge = Bytes >= (long)Model.WeightPacking.HugePage;
        Base = (float*)NativeMemory.AlignedAlloc((nuint)Bytes, huge ? Model.WeightPacking.HugePage : 64);
        if (huge) Model.WeightPacking.Advise((byte*)Base, Bytes, Model.WeightPacking.MadvHugepage);
    }

    public int Blocks { get; }
    public int BlockSize { get; }
    public int Layers { get; }
    public int KvDim { get; }
    public long FloatsPerBlock { get; }
    public long Bytes { get; }
    public float* Base { get; private set; }

    public long BytesPerBlock => FloatsPerBlock * sizeof(float);

    /// <summary>K of (block, layer, slot); V follows BlockSize·KvDim floats later.</summary>
    public float* K(int block, int layer, int slot) => Base + block * FloatsPerBlock + ((long)layer * 2 * BlockSize + slot) * KvDim;

    public float* V(int block, int layer, int slot) => Base + block * FloatsPerBlock + ((long)(layer * 2 + 1) * BlockSize + slot) * KvDim;

    public float* Block(int block)
    {
        if ((uint)block >= (uint)Blocks) throw new ArgumentOutOfRangeException(nameof(block), block, $"arena has {Blocks} blocks");
        return Base + block * FloatsPerBlock;
    }

    public void Dispose()
    {
        if (Base == null) return;
        NativeMemory.AlignedFree(Base);
        Base = null;
    }
}
