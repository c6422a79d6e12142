using System.Runtime.CompilerServices;
using TokenFlow.Inference.Kernels;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Execution;

/// <summary>
/// Up to three GEMMs sharing one input (Q/K/V, or gate/up), split into row ranges across workers:
/// about four items per thread per matrix (at least 16 rows, a multiple of 8), so a big matrix
/// such as the classifier is a handful of long contiguous streams rather than thousands of claims
/// on one contended word.
/// </summary>
internal sealed unsafe class GemmJob : IParallelJob
{
    public const int MinRowsPerItem = 16;
    private readonly WeightMatrix?[] _w = new WeightMatrix?[3];
    private readonly int[] _rowsPerItem = new int[3];
    private int _threads = 1;
    private readonly nint[] _y = new nint[3];
    private readonly int[] _firstItem = new int[4];
    private readonly nint[] _scratch;
    private int _count;
    private float* _x;
    private int _rows;

    public GemmJob(nint[] scratchPerWorker) => _scratch = scratchPerWorker;

    public void Run(WorkerPool pool, float* x, int rows, WeightMatrix w0, float* y0, WeightMatrix? w1 = null, float* y1 = null, WeightMatrix? w2 = null, float* y2 = null)
    {
        _x = x;
        _rows = rows;
        _count = 0;
        _threads = pool.Threads;
        long macs = 0;
        Add(w0, y0, ref macs);
        if (w1 is not null) Add(w1, y1, ref macs);
        if (w2 is not null) Add(w2, y2, ref macs);
        macs *= rows;
        pool.Run(this, _firstItem[_count], parallel: macs >= 1 << 16);
        Array.Clear(_w);
    }

    private void Add(WeightMatrix w, float* y, ref long macs)
    {
        _w[_count] = w;
        _y[_count] = (nint)y;
        var per = (w.Rows + 4 * _threads - 1) / (4 * _threads);
        per = Math.Max(MinRowsPerItem, (per + 7) & ~7);
        _rowsPerItem[_count] = per;
        _firstItem[_count + 1] = _firstItem[_count] + (w.Rows + per - 1) / per;
        macs += (long)w.Rows * w.Cols;
        _count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void Execute(int item, int worker)
    {
        var m = 0;
        while (item >= _firstItem[m + 1]) m++;
        var w = _w[m]!;
        var per = _rowsPerItem[m];
        var n0 = (item - _firstItem[m]) * per;
        var n1 = Math.Min(w.Rows, n0 + per);
        Gemm.Run(w, _x, _rows, (float*)_y[m], w.Rows, n0, n1, (float*)_scratch[worker]);
    }
}
