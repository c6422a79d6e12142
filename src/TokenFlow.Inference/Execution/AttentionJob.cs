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
    /// <summary>Items are whole rows (all heads) rather than (row, head); see <see cref="ExecuteRow"/>.</summary>
    public bool WholeRows;
    /// <summary>Floats of score scratch per head in whole-row mode.</summary>
    public int ScoreStride;

    /// <summary>Whole-row mode needs head_dim a multiple of 16.</summary>
    public bool CanRunWholeRows => HeadDim % 16 == 0;

    public AttentionJob(nint[] scoresPerWorker) => _scores = scoresPerWorker;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void Execute(int item, int worker)
    {
        if (WholeRows) { ExecuteRow(item, worker); return; }
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
        var vectorized = hs % 16 == 0 && hs <= MaxVectorHeadDim;
        for (int b = 0, p = 0; p < n; b++)
        {
            var k = Arena.K(table[b], layer, 0) + kvh * hs;
            var m = Math.Min(bs, n - p);
            var s = 0;
            if (vectorized)
                for (; s + 4 <= m; s += 4, p += 4, k += 4 * kvDim) Scores4(q, k, kvDim, hs, att + p, Scale);
            for (; s < m; s++, p++, k += kvDim) att[p] = Gemm.Dot(q, k, hs) / Scale;
        }
        Ops.Softmax(att, n);
        var o = Out + (long)r * Dim + h * hs;
        if (vectorized) { WeightedSum(att, n, table, layer, kvh * hs, hs, o); return; }
        new Span<float>(o, hs).Clear();
        for (int b = 0, p = 0; p < n; b++)
        {
            var v = Arena.V(table[b], layer, 0) + kvh * hs;
            for (var s = 0; s < bs && p < n; s++, p++, v += kvDim)
            {
                var a = att[p];
                if (hs % 16 == 0)
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

    private const int MaxVectorHeadDim = 128;

    /// <summary>
    /// All heads of one row: each cached position's K (then V) row of <c>kv_dim</c> floats is read
    /// once, contiguously, for every head, instead of one head's 192-byte slice per pass — a
    /// prefetcher-friendly stream (B=32 decode reads ~85 MB of KV per step for stories15M).
    /// Per element the arithmetic is exactly the per-head path's: the same dot products, the same
    /// softmax, the same FMA sequence over positions into a zeroed output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteRow(int r, int worker)
    {
        var hs = HeadDim;
        var heads = Heads;
        var group = Heads / KvHeads;
        var q = Q + (long)r * Dim;
        var n = RowPos[r] + 1;
        var table = Tables + RowTable[r];
        var att = (float*)_scores[worker];
        var stride = ScoreStride;
        var bs = Arena.BlockSize;
        var kvDim = Arena.KvDim;
        var layer = Layer;
        var scale = Scale;
        for (int b = 0, p = 0; p < n; b++)
        {
            var k = Arena.K(table[b], layer, 0);
            var m = Math.Min(bs, n - p);
            for (var s = 0; s < m; s++, p++, k += kvDim)
            {
                var h = 0;
                for (; h + 4 <= heads; h += 4)
                    Dot4(q + h * hs, k + h / group * hs, q + (h + 1) * hs, k + (h + 1) / group * hs,
                        q + (h + 2) * hs, k + (h + 2) / group * hs, q + (h + 3) * hs, k + (h + 3) / group * hs, hs, att + h * stride + p, stride, scale);
                for (; h < heads; h++) att[h * stride + p] = Gemm.Dot(q + h * hs, k + h / group * hs, hs) / scale;
            }
        }
        for (var h = 0; h < heads; h++) Ops.Softmax(att + h * stride, n);
        var o = Out + (long)r * Dim;
        new Span<float>(o, heads * hs).Clear();
        for (int b = 0, p = 0; p < n; b++)
        {
            var v = Arena.V(table[b], layer, 0);
            var m = Math.Min(bs, n - p);
            for (var s = 0; s < m; s++, p++, v += kvDim)
                for (var h = 0; h < heads; h++)
                {
                    var a = Vector512.Create(att[h * stride + p]);
                    var vh = v + h / group * hs;
                    var oh = o + h * hs;
                    for (var i = 0; i < hs; i += 16)
                        Vector512.FusedMultiplyAdd(a, Vector512.Load(vh + i), Vector512.Load(oh + i)).Store(oh + i);
                }
        }
    }

    /// <summary>Four independent <see cref="Gemm.Dot"/>s (hs a multiple of 16) divided by the scale, written <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(float* q0, float* k0, float* q1, float* k1, float* q2, float* k2, float* q3, float* k3, int hs, float* att, int stride, float scale)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i < hs; i += 16)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q0 + i), Vector512.Load(k0 + i), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q1 + i), Vector512.Load(k1 + i), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(q2 + i), Vector512.Load(k2 + i), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(q3 + i), Vector512.Load(k3 + i), a3);
        }
        att[0] = Vector512.Sum(a0) / scale;
        att[stride] = Vector512.Sum(a1) / scale;
        att[2 * stride] = Vector512.Sum(a2) / scale;
        att[3 * stride] = Vector512.Sum(a3) / scale;
    }

    /// <summary>
    /// Scores of 4 consecutive positions (keys <paramref name="kvDim"/> apart): each is exactly
    /// <see cref="Gemm.Dot"/> (hs a multiple of 16, so no tail) divided by the scale; the four
    /// independent FMA chains just run side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4(float* q, float* k, int kvDim, int hs, float* att, float scale)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i < hs; i += 16)
        {
            var vq = Vector512.Load(q + i);
            a0 = Vector512.FusedMultiplyAdd(vq, Vector512.Load(k + i), a0);
            a1 = Vector512.FusedMultiplyAdd(vq, Vector512.Load(k + kvDim + i), a1);
            a2 = Vector512.FusedMultiplyAdd(vq, Vector512.Load(k + 2 * kvDim + i), a2);
            a3 = Vector512.FusedMultiplyAdd(vq, Vector512.Load(k + 3 * kvDim + i), a3);
        }
        att[0] = Vector512.Sum(a0) / scale;
        att[1] = Vector512.Sum(a1) / scale;
        att[2] = Vector512.Sum(a2) / scale;
        att[3] = Vector512.Sum(a3) / scale;
    }

    /// <summary>
    /// o = Σ_p att[p]·v_p with the output held in registers (up to 8 vectors): element i gets the
    /// same FMA sequence over p as an in-memory accumulation starting from zero, without a
    /// store/load round trip per position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightedSum(float* att, int n, int* table, int layer, int offset, int hs, float* o)
    {
        var bs = Arena.BlockSize;
        var kvDim = Arena.KvDim;
        var chunks = hs / 16;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        for (int b = 0, p = 0; p < n; b++)
        {
            var v = Arena.V(table[b], layer, 0) + offset;
            var m = Math.Min(bs, n - p);
            for (var s = 0; s < m; s++, p++, v += kvDim)
            {
                var a = Vector512.Create(att[p]);
                o0 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v), o0);
                if (chunks > 1) o1 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 16), o1);
                if (chunks > 2) o2 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 32), o2);
                if (chunks > 3) o3 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 48), o3);
                if (chunks > 4) o4 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 64), o4);
                if (chunks > 5) o5 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 80), o5);
                if (chunks > 6) o6 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 96), o6);
                if (chunks > 7) o7 = Vector512.FusedMultiplyAdd(a, Vector512.Load(v + 112), o7);
            }
        }
        o0.Store(o);
        if (chunks > 1) o1.Store(o + 16);
        if (chunks > 2) o2.Store(o + 32);
        if (chunks > 3) o3.Store(o + 48);
        if (chunks > 4) o4.Store(o + 64);
        if (chunks > 5) o5.Store(o + 80);
        if (chunks > 6) o6.Store(o + 96);
        if (chunks > 7) o7.Store(o + 112);
    }
}
