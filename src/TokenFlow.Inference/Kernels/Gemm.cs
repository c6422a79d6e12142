using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Kernels;

/// <summary>
/// Y[t, n] = Σ_k X[t, k] · W[n, k], tiled 4 weight rows × 4 activation rows so a weight tile is
/// read once per pass for the whole batch. Determinism: every output element is the same
/// canonical dot product — one 16-lane FMA accumulator over full chunks, a fixed horizontal sum,
/// then a sequential scalar tail — whatever tile, batch size, chunking or thread computes it.
/// </summary>
internal static unsafe class Gemm
{
    public const int TileRows = 4;
    /// <summary>Up to this many activation rows, F32 weights are streamed row by row (<see cref="Row1x4"/>); beyond it, 4×4 tiles win on arithmetic.</summary>
    public const int StreamRows = 8;

    /// <summary>Computes output columns [n0, n1) for all <paramref name="rows"/> activation rows.</summary>
    /// <param name="scratch">TileRows × W.Cols floats for dequantizing non-F32 weights.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public static void Run(WeightMatrix w, float* x, int rows, float* y, int ldy, int n0, int n1, float* scratch)
    {
        var k = w.Cols;
        var n = n0;
        if (w.IsF32 && rows <= StreamRows)
        {
            // Decode: one weight row at a time, so the weights are one sequential stream that the hardware
            // prefetcher follows, and the row stays in L1 for every activation row. Interleaving several
            // weight rows instead makes many short streams (a 288-float row is 18 cache lines) that the
            // prefetcher never locks onto: 1.5× slower at B=1 and 1.25× at B=8 on stories15M-shape decode.
            var quads = k % 16 == 0 ? rows & ~3 : 0;
            for (; n < n1; n++)
            {
                var wn = w.F32Row(n);
                var t = 0;
                for (; t < quads; t += 4) Row1x4(wn, k, x + (long)t * k, y + (long)t * ldy + n, ldy);
                for (; t < rows; t++) y[(long)t * ldy + n] = Dot(wn, x + (long)t * k, k);
            }
            return;
        }
        for (; n < n1; n += TileRows)
        {
            var count = Math.Min(TileRows, n1 - n);
            float* wt;
            if (w.IsF32) wt = w.F32Row(n);
            else
            {
                for (var r = 0; r < count; r++) w.DequantizeRow(n + r, new Span<float>(scratch + r * k, k));
                wt = scratch;
            }
            if (count == TileRows)
            {
                var t = 0;
                for (; t + 4 <= rows; t += 4) Tile4x4(wt, k, x + (long)t * k, y + (long)t * ldy + n, ldy);
                for (; t < rows; t++) Tile4x1(wt, k, x + (long)t * k, y + (long)t * ldy + n);
            }
            else
            {
                for (var t = 0; t < rows; t++)
                    for (var r = 0; r < count; r++)
                        y[(long)t * ldy + n + r] = Dot(wt + r * k, x + (long)t * k, k);
            }
        }
    }

    /// <summary>One weight row against 4 activation rows (K a multiple of 16): each output is exactly <see cref="Dot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1x4(float* w, int k, float* x, float* y, int ldy)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i < k; i += 16)
        {
            var vw = Vector512.Load(w + i);
            a0 = Vector512.FusedMultiplyAdd(vw, Vector512.Load(x + i), a0);
            a1 = Vector512.FusedMultiplyAdd(vw, Vector512.Load(x + k + i), a1);
            a2 = Vector512.FusedMultiplyAdd(vw, Vector512.Load(x + 2 * k + i), a2);
            a3 = Vector512.FusedMultiplyAdd(vw, Vector512.Load(x + 3 * k + i), a3);
        }
        y[0] = Vector512.Sum(a0);
        y[ldy] = Vector512.Sum(a1);
        y[2 * ldy] = Vector512.Sum(a2);
        y[3 * ldy] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float s, float* a, float* b, int from, int n)
    {
        for (var i = from; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>The canonical dot product; the tiles below repeat exactly its operation sequence per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n)
    {
        if (n < 16) return Tail(0f, a, b, 0, n); // same value as the vector path with no full chunk
        var acc = Vector512<float>.Zero;
        var i = 0;
        for (; i <= n - 16; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
        return Tail(Vector512.Sum(acc), a, b, i, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(float* w, int k, float* x, float* y)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var i = 0;
        for (; i <= k - 16; i += 16)
        {
            var vx = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), vx, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), vx, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), vx, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), vx, a3);
        }
        y[0] = Tail(Vector512.Sum(a0), w0, x, i, k);
        y[1] = Tail(Vector512.Sum(a1), w1, x, i, k);
        y[2] = Tail(Vector512.Sum(a2), w2, x, i, k);
        y[3] = Tail(Vector512.Sum(a3), w3, x, i, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* w, int k, float* x, float* y, int ldy)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        float* x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var i = 0;
        for (; i <= k - 16; i += 16)
        {
            var v0 = Vector512.Load(w0 + i);
            var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i);
            var v3 = Vector512.Load(w3 + i);
            var u = Vector512.Load(x0 + i);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00);
            a01 = Vector512.FusedMultiplyAdd(v1, u, a01);
            a02 = Vector512.FusedMultiplyAdd(v2, u, a02);
            a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(x1 + i);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10);
            a11 = Vector512.FusedMultiplyAdd(v1, u, a11);
            a12 = Vector512.FusedMultiplyAdd(v2, u, a12);
            a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
            u = Vector512.Load(x2 + i);
            a20 = Vector512.FusedMultiplyAdd(v0, u, a20);
            a21 = Vector512.FusedMultiplyAdd(v1, u, a21);
            a22 = Vector512.FusedMultiplyAdd(v2, u, a22);
            a23 = Vector512.FusedMultiplyAdd(v3, u, a23);
            u = Vector512.Load(x3 + i);
            a30 = Vector512.FusedMultiplyAdd(v0, u, a30);
            a31 = Vector512.FusedMultiplyAdd(v1, u, a31);
            a32 = Vector512.FusedMultiplyAdd(v2, u, a32);
            a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
        }
        y[0] = Tail(Vector512.Sum(a00), w0, x0, i, k);
        y[1] = Tail(Vector512.Sum(a01), w1, x0, i, k);
        y[2] = Tail(Vector512.Sum(a02), w2, x0, i, k);
        y[3] = Tail(Vector512.Sum(a03), w3, x0, i, k);
        y += ldy;
        y[0] = Tail(Vector512.Sum(a10), w0, x1, i, k);
        y[1] = Tail(Vector512.Sum(a11), w1, x1, i, k);
        y[2] = Tail(Vector512.Sum(a12), w2, x1, i, k);
        y[3] = Tail(Vector512.Sum(a13), w3, x1, i, k);
        y += ldy;
        y[0] = Tail(Vector512.Sum(a20), w0, x2, i, k);
        y[1] = Tail(Vector512.Sum(a21), w1, x2, i, k);
        y[2] = Tail(Vector512.Sum(a22), w2, x2, i, k);
        y[3] = Tail(Vector512.Sum(a23), w3, x2, i, k);
        y += ldy;
        y[0] = Tail(Vector512.Sum(a30), w0, x3, i, k);
        y[1] = Tail(Vector512.Sum(a31), w1, x3, i, k);
        y[2] = Tail(Vector512.Sum(a32), w2, x3, i, k);
        y[3] = Tail(Vector512.Sum(a33), w3, x3, i, k);
    }
}
