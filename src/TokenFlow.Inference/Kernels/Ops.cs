using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TokenFlow.Inference.Kernels;

/// <summary>
/// Per-row operations with run.c's formulas, vectorized with Vector512 (hand-written rather than
/// TensorPrimitives so they are fully optimized from the first call). A row's result depends only
/// on its length, never on the batch; tails go through the vector path padded, so every element
/// is computed the same way.
/// </summary>
internal static unsafe class Ops
{
    /// <summary>o = w ⊙ (x / sqrt(mean(x²) + eps)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public static void RmsNorm(float* o, float* x, float[] w, int n, float eps)
    {
        var ss = Gemm.Dot(x, x, n);
        ss /= n;
        ss += eps;
        ss = 1f / MathF.Sqrt(ss);
        fixed (float* wp = w)
            for (var j = 0; j < n; j++) o[j] = wp[j] * (ss * x[j]);
    }

    /// <summary>In-place softmax, max-subtracted as run.c does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* x, int n)
    {
        var max = x[0];
        for (var i = 1; i < n; i++) if (x[i] > max) max = x[i];
        var vmax = Vector512.Create(max);
        var acc = Vector512<float>.Zero;
        var i0 = 0;
        for (; i0 <= n - 16; i0 += 16)
        {
            var e = Vector512.Exp(Vector512.Load(x + i0) - vmax);
            e.Store(x + i0);
            acc += e;
        }
        if (i0 < n)
        {
            var pad = stackalloc float[16];
            for (var k = 0; k < 16; k++) pad[k] = i0 + k < n ? x[i0 + k] : float.NegativeInfinity;
            var e = Vector512.Exp(Vector512.Load(pad) - vmax); // exp(−∞) = 0 in the padding
            e.Store(pad);
            acc += e;
            for (var k = 0; i0 + k < n; k++) x[i0 + k] = pad[k];
        }
        var sum = Vector512.Sum(acc);
        var vs = Vector512.Create(sum);
        var i1 = 0;
        for (; i1 <= n - 16; i1 += 16) (Vector512.Load(x + i1) / vs).Store(x + i1);
        for (; i1 < n; i1++) x[i1] /= sum;
    }

    /// <summary>One row: h1 = (h1 · sigmoid(h1)) ⊙ h3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu(float* h1, float* h3, int n)
    {
        var one = Vector512<float>.One;
        var i = 0;
        for (; i <= n - 16; i += 16)
        {
            var v = Vector512.Load(h1 + i);
            (v * (one / (one + Vector512.Exp(-v))) * Vector512.Load(h3 + i)).Store(h1 + i);
        }
        if (i < n)
        {
            var a = stackalloc float[16];
            var b = stackalloc float[16];
            for (var k = 0; k < 16; k++) { a[k] = i + k < n ? h1[i + k] : 0; b[k] = i + k < n ? h3[i + k] : 0; }
            var v = Vector512.Load(a);
            (v * (one / (one + Vector512.Exp(-v))) * Vector512.Load(b)).Store(a);
            for (var k = 0; i + k < n; k++) h1[i + k] = a[k];
        }
    }

    /// <summary>x += y (elementwise, exact in any lane order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInPlace(float* x, float* y, int n)
    {
        var i = 0;
        for (; i <= n - 16; i += 16) (Vector512.Load(x + i) + Vector512.Load(y + i)).Store(x + i);
        for (; i < n; i++) x[i] += y[i];
    }

    /// <summary>x += b for one row (a bias vector).</summary>
    public static void AddInPlace(float* x, float[] b, int n)
    {
        fixed (float* bp = b) AddInPlace(x, bp, n);
    }
}
