using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// Integer dot products of a <see cref="DecodedRow"/> with one quantized activation row. The integer
/// sums are exact, and the float steps are defined lane by lane, so the AVX-512BW, AVX2 (AVX-VNNI where
/// present) and scalar paths give bit-identical results; the path is chosen once at start-up.
/// <list type="bullet">
/// <item>32-element types: 16 float lanes; block b adds lane j = w[2j]x[2j] + w[2j+1]x[2j+1] (int)
/// times d_w·d_x with one FMA; the lanes are summed pairwise (16 → 8 → 4 → 2 → 1), then Σ m_w·s_x for
/// types with a minimum.</item>
/// <item>K-quants: per super-block the exact sum Σ w·x (scales already folded in) and Σ min·bsum, then
/// y += d_x·d·Σwx − d_x·dmin·Σmin·bsum in scalar float.</item>
/// </list>
/// </summary>
internal static unsafe class QuantDot
{
    public enum Path { Scalar, Avx2, Avx512 }

    public static Path Best { get; } =
        Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? Path.Avx512 : Avx2.IsSupported ? Path.Avx2 : Path.Scalar;

    /// <summary>The path in use (tests switch it to compare paths).</summary>
    public static Path Current { get; set; } = Best;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Legacy(DecodedRow w, short* x, float* dx, float* sx)
    {
        var blocks = w.Cols / 32;
        float sum = 0;
        if (Current == Path.Avx512)
        {
            var acc = Vector512<float>.Zero;
            for (var b = 0; b < blocks; b++)
            {
                var p = Avx512BW.MultiplyAddAdjacent(Vector512.Load(w.W + b * 32), Vector512.Load(x + b * 32));
                acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p), Vector512.Create(w.D[b] * dx[b]), acc);
            }
            var t8 = acc.GetLower() + acc.GetUpper();
            var t4 = t8.GetLower() + t8.GetUpper();
            var t2 = t4.GetLower() + t4.GetUpper();
            sum = t2.GetElement(0) + t2.GetElement(1);
        }
        else if (Current == Path.Avx2)
        {
            Vector256<float> lo = default, hi = default;
            for (var b = 0; b < blocks; b++)
            {
                var s = Vector256.Create(w.D[b] * dx[b]);
                var wp = w.W + b * 32;
                var xp = x + b * 32;
                lo = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Madd(Vector256.Load(wp), Vector256.Load(xp))), s, lo);
                hi = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Madd(Vector256.Load(wp + 16), Vector256.Load(xp + 16))), s, hi);
            }
            var t8 = lo + hi;
            var t4 = t8.GetLower() + t8.GetUpper();
            var t2 = t4.GetLower() + t4.GetUpper();
            sum = t2.GetElement(0) + t2.GetElement(1);
        }
        else
        {
            var lanes = stackalloc float[16];
            for (var j = 0; j < 16; j++) lanes[j] = 0;
            for (var b = 0; b < blocks; b++)
            {
                var s = w.D[b] * dx[b];
                var wp = w.W + b * 32;
                var xp = x + b * 32;
                for (var j = 0; j < 16; j++)
                    lanes[j] = MathF.FusedMultiplyAdd(wp[2 * j] * xp[2 * j] + wp[2 * j + 1] * xp[2 * j + 1], s, lanes[j]);
            }
            // The same pairwise tree as the vector paths: 16 → 8 → 4 → 2 → 1.
            for (var j = 0; j < 8; j++) lanes[j] += lanes[j + 8];
            for (var j = 0; j < 4; j++) lanes[j] += lanes[j + 4];
            for (var j = 0; j < 2; j++) lanes[j] += lanes[j + 2];
            sum = lanes[0] + lanes[1];
        }
        if (w.HasMin)
        {
            float m = 0;
            for (var b = 0; b < blocks; b++) m += w.M[b] * sx[b];
            sum += m;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float K(DecodedRow w, short* x, float* dK, int* bsum)
    {
        var blocks = w.Cols / 256;
        float y = 0;
        for (var b = 0; b < blocks; b++)
        {
            var wp = w.W + b * 256;
            var xp = x + b * 256;
            int isc;
            if (Current == Path.Avx512)
            {
                var acc = Vector512<int>.Zero;
                for (var i = 0; i < 256; i += 32) acc += Avx512BW.MultiplyAddAdjacent(Vector512.Load(wp + i), Vector512.Load(xp + i));
                isc = Vector512.Sum(acc);
            }
            else if (Current == Path.Avx2)
            {
                var acc = Vector256<int>.Zero;
                if (AvxVnni.IsSupported)
                    for (var i = 0; i < 256; i += 16) acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.Load(wp + i), Vector256.Load(xp + i));
                else
                    for (var i = 0; i < 256; i += 16) acc += Avx2.MultiplyAddAdjacent(Vector256.Load(wp + i), Vector256.Load(xp + i));
                isc = Vector256.Sum(acc);
            }
            else
            {
                isc = 0;
                for (var i = 0; i < 256; i++) isc += wp[i] * xp[i];
            }
            if (w.HasMin)
            {
                var mins = w.Mins + b * 16;
                var bs = bsum + b * 16;
                var imn = 0;
                for (var g = 0; g < 16; g++) imn += mins[g] * bs[g];
                y += dK[b] * w.D[b] * isc - dK[b] * w.M[b] * imn;
            }
            else y += dK[b] * w.D[b] * isc;
        }
        return y;
    }

    /// <summary>A Q8_0 row straight from its blocks: the same values and operations as <see cref="Legacy"/> on its decoded form (AVX-512 path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0Direct(byte* row, int cols, short* x, float* dx)
    {
        var acc = Vector512<float>.Zero;
        for (var b = 0; b < cols / 32; b++, row += 34)
        {
            var wv = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(row + 2)));
            var p = Avx512BW.MultiplyAddAdjacent(wv, Vector512.Load(x + b * 32));
            acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p), Vector512.Create(Dequantizer.H(row) * dx[b]), acc);
        }
        var t8 = acc.GetLower() + acc.GetUpper();
        var t4 = t8.GetLower() + t8.GetUpper();
        var t2 = t4.GetLower() + t4.GetUpper();
        return t2.GetElement(0) + t2.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Madd(Vector256<short> a, Vector256<short> b) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, a, b) : Avx2.MultiplyAddAdjacent(a, b);
}
