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
internal sealed unsafe class GemmJob : IParallelJob, IDisposable
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

    private readonly Quantization.DecodedRow[] _decoded;
    private readonly Quantization.QuantizedActivations _act = new();

    public GemmJob(nint[] scratchPerWorker, int maxCols)
    {
        _scratch = scratchPerWorker;
        _decoded = new Quantization.DecodedRow[scratchPerWorker.Length];
        for (var i = 0; i < _decoded.Length; i++) _decoded[i] = new Quantization.DecodedRow(maxCols);
    }

    public void Dispose()
    {
        foreach (var d in _decoded) d.Dispose();
        _act.Dispose();
    }

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
        // Quantized weights: the input rows are quantized once here (Q8_0/Q8_1 and/or Q8_K), before any worker starts.
        bool legacy = false, k = false;
        for (var i = 0; i < _count; i++)
        {
            var t = _w[i]!.Type;
            if (!Formats.GgmlTypeInfo.IsQuantized(t)) continue;
            if (Formats.GgmlTypeInfo.BlockSize(t) == Formats.GgmlTypeInfo.QK_K) k = true; else legacy = true;
        }
        if (legacy || k) _act.Quantize(x, rows, w0.Cols, legacy, k);
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
        if (Formats.GgmlTypeInfo.IsQuantized(w.Type)) Quantization.QuantGemm.Run(w, _act, _rows, (float*)_y[m], w.Rows, n0, n1, _decoded[worker]);
        else Gemm.Run(w, _x, _rows, (float*)_y[m], w.Rows, n0, n1, (float*)_scratch[worker]);
    }
}
