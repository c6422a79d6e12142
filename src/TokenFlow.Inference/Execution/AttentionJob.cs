using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TokenFlow.Inference.Kernels;

namespace TokenFlow.Inference.Execution;

/// <summary>
/// Paged causal attention with grouped-query heads: one item is (row, head). Keys and values are
/// read through the row's block table from the device arena. A row's result depends only on its
/// own query and the cached KV, never on the rest of the batch.
/// </summary>
internal sealed unsafe class AttentionJob : IParallelJob
{
    private readonly nint[] _scores;
    public KvArena Arena = null!;
    public float* Q, Out;
    public int* RowPos, RowTable;
    public int* Tables;
    public int Layer, Heads, KvHeads, HeadDim, Dim;
    public float Scale; // sqrt(head_dim): run.c divides by it

    public AttentionJob(nint[] scoresPerWorker) => _scores = scoresPerWorker;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void Execute(int item, int worker)
    {
        var r = item / Heads;
        var h = item % Heads;
        var hs = HeadDim;
        var kvh = h / (Heads / KvHeads);
        var q = Q + (long)r * Dim + h * hs;
        var pos = RowPos[r];
        var table = Tables + RowTable[r];
        var att = (float*)_scores[worker];
        var bs = Arena.BlockSize;
        var kvDim = Arena.KvDim;
        var layer = Layer;
        var n = pos + 1;
        for (int b = 0, p = 0; p < n; b++)
        {
            var k = Arena.K(table[b], layer, 0) + kvh * hs;
            for (var s = 0; s < bs && p < n; s++, p++, k += kvDim) att[p] = Gemm.Dot(q, k, hs) / Scale;
        }
        Ops.Softmax(att, n);
        var o = Out + (long)r * Dim + h * hs;
        new Span<float>(o, hs).Clear();
        var vectorized = hs % 16 == 0;
        for (int b = 0, p = 0; p < n; b++)
        {
            var v = Arena.V(table[b], layer, 0) + kvh * hs;
            for (var s = 0; s < bs && p < n; s++, p++, v += kvDim)
            {
                var a = att[p];
                if (vectorized)
                {
                    var va = Vector512.Create(a);
                    for (var i = 0; i < hs; i += 16)
                        Vector512.FusedMultiplyAdd(va, Vector512.Load(v + i), Vector512.Load(o + i)).Store(o + i);
                }
                else
                    for (var i = 0; i < hs; i++) o[i] += a * v[i];
            }
        }
    }
}
