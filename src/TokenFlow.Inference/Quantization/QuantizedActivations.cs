using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// A GEMM's input rows quantized once, as llama.cpp does before its integer dot products:
/// Q8_0/Q8_1 blocks of 32 (fp16-rounded scale, and scale × Σq for the Q4_1/Q5_1 minimum) for the
/// 32-element types, Q8_K blocks of 256 (fp32 scale, sums of 16) for the K-quants. Values are kept
/// as int16 so the kernels multiply-add them without widening.
/// </summary>
internal sealed unsafe class QuantizedActivations : IDisposable
{
    private short* _q;
    private float* _d32, _s32, _dK;
    private int* _bsum;
    private long _capacity;

    public int Rows { get; private set; }
    public int Cols { get; private set; }
    public bool HasLegacy { get; private set; }
    public bool HasK { get; private set; }

    public short* Q8Row(int row, bool k) => _q + ((long)row * 2 + (k ? 1 : 0)) * Cols;
    public float* Scale32(int row) => _d32 + (long)row * (Cols / 32);
    public float* Sum32(int row) => _s32 + (long)row * (Cols / 32);
    public float* ScaleK(int row) => _dK + (long)row * (Cols / 256);
    public int* BlockSums16(int row) => _bsum + (long)row * (Cols / 16);

    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="cols"/> floats in the forms asked for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Quantize(float* x, int rows, int cols, bool legacy, bool k)
    {
        var need = (long)rows * cols;
        if (need > _capacity) Grow(need);
        Rows = rows;
        Cols = cols;
        HasLegacy = legacy && cols % 32 == 0;
        HasK = k && cols % 256 == 0;
        for (var r = 0; r < rows; r++)
        {
            var xr = x + (long)r * cols;
            if (HasLegacy) Q8_0(xr, Q8Row(r, false), Scale32(r), Sum32(r), cols);
            if (HasK) Q8_K(xr, Q8Row(r, true), ScaleK(r), BlockSums16(r), cols);
        }
    }

    /// <summary>ggml's quantize_row_q8_1 (which is Q8_0 plus s): d = amax/127 stored fp16, q = round(x/d), s = d·Σq stored fp16.</summary>
    private static void Q8_0(float* x, short* q, float* d32, float* s32, int n)
    {
        for (var b = 0; b < n / 32; b++, x += 32, q += 32)
        {
            var amax = 0f;
            for (var i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
            var d = amax / 127f;
            var id = d != 0 ? 1f / d : 0f;
            var sum = 0;
            for (var i = 0; i < 32; i++)
            {
                var v = (int)MathF.Round(x[i] * id, MidpointRounding.AwayFromZero);
                q[i] = (short)v;
                sum += v;
            }
            d32[b] = (float)(Half)d;
            s32[b] = (float)(Half)(sum * d);
        }
    }

    /// <summary>ggml's quantize_row_q8_K: scale from the signed extreme, q = nearest(−127/max · x) ≤ 127, sums of 16.</summary>
    private static void Q8_K(float* x, short* q, float* dK, int* bsum, int n)
    {
        for (var b = 0; b < n / 256; b++, x += 256, q += 256, bsum += 16)
        {
            float max = 0, amax = 0;
            for (var i = 0; i < 256; i++)
            {
                var ax = MathF.Abs(x[i]);
                if (ax > amax) { amax = ax; max = x[i]; }
            }
            if (amax == 0)
            {
                dK[b] = 0;
                new Span<short>(q, 256).Clear();
                new Span<int>(bsum, 16).Clear();
                continue;
            }
            var iscale = -127f / max;
            for (var i = 0; i < 256; i++) q[i] = (short)Math.Min(127, NearestInt(iscale * x[i]));
            for (var g = 0; g < 16; g++)
            {
                var s = 0;
                for (var i = 0; i < 16; i++) s += q[g * 16 + i];
                bsum[g] = s;
            }
            dK[b] = 1 / iscale;
        }
    }

    /// <summary>ggml's nearest_int: round half to even through the float mantissa.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int NearestInt(float f) => (int)MathF.Round(f, MidpointRounding.ToEven);

    private void Grow(long elements)
    {
        Free();
        _capacity = Math.Max(elements, 4096);
        _q = (short*)NativeMemory.AlignedAlloc((nuint)(_capacity * 2 * sizeof(short)), 64);
        _d32 = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 32 * 4 + 64), 64);
        _s32 = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 32 * 4 + 64), 64);
        _dK = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 256 * 4 + 64), 64);
        _bsum = (int*)NativeMemory.AlignedAlloc((nuint)(_capacity / 16 * 4 + 64), 64);
    }

    private void Free()
    {
        if (_q == null) return;
        NativeMemory.AlignedFree(_q);
        NativeMemory.AlignedFree(_d32);
        NativeMemory.AlignedFree(_s32);
        NativeMemory.AlignedFree(_dK);
        NativeMemory.AlignedFree(_bsum);
        _q = null;
    }

    public void Dispose() => Free();
}
