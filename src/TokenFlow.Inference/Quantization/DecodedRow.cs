using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TokenFlow.Inference.Formats;
using static TokenFlow.Inference.Quantization.Dequantizer;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// One weight row unpacked to integers, once per GEMM pass and reused for every activation row:
/// <see cref="W"/> holds the quants as int16. For the 32-element types (Q4_0…Q8_0) each block keeps
/// its fp32 scale (and minimum); for the K-quants the 6/8-bit sub-block scale is folded into the
/// int16 value (|scale·q| ≤ 4096), leaving per super-block only d, dmin and the 16 integer minimums.
/// Everything a dot product then needs is exact integer arithmetic plus a few floats per block.
/// </summary>
internal sealed unsafe class DecodedRow : IDisposable
{
    public readonly short* W;
    /// <summary>Per 32-block scale (legacy) or per 256-block d (K-quants).</summary>
    public readonly float* D;
    /// <summary>Per 32-block minimum (Q4_1/Q5_1) or per 256-block dmin (Q2_K/Q4_K/Q5_K).</summary>
    public readonly float* M;
    /// <summary>Integer minimum per 16 elements (K-quants with minimums).</summary>
    public readonly short* Mins;
    public int Cols;
    public bool IsK, HasMin;

    public DecodedRow(int maxCols)
    {
        W = (short*)NativeMemory.AlignedAlloc((nuint)(maxCols * 2 + 128), 64);
        D = (float*)NativeMemory.AlignedAlloc((nuint)(maxCols / 32 * 4 + 64), 64);
        M = (float*)NativeMemory.AlignedAlloc((nuint)(maxCols / 32 * 4 + 64), 64);
        Mins = (short*)NativeMemory.AlignedAlloc((nuint)(maxCols / 16 * 2 + 64), 64);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Decode(GgmlType type, byte* x, int k)
    {
        Cols = k;
        IsK = GgmlTypeInfo.BlockSize(type) == GgmlTypeInfo.QK_K;
        HasMin = type is GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q4_K or GgmlType.Q5_K;
        var w = W;
        switch (type)
        {
            case GgmlType.Q8_0:
                for (var b = 0; b < k / 32; b++, x += 34, w += 32)
                {
                    D[b] = H(x);
                    Kernels.Widen.SByteToShort((sbyte*)(x + 2), w, 32);
                }
                break;
            case GgmlType.Q4_0:
                for (var b = 0; b < k / 32; b++, x += 18, w += 32)
                {
                    D[b] = H(x);
                    Kernels.Widen.Nibbles(x + 2, w, 16, -8);
                }
                break;
            case GgmlType.Q4_1:
                for (var b = 0; b < k / 32; b++, x += 20, w += 32)
                {
                    D[b] = H(x);
                    M[b] = H(x + 2);
                    Kernels.Widen.Nibbles(x + 4, w, 16, 0);
                }
                break;
            case GgmlType.Q5_0:
            case GgmlType.Q5_1:
                var min = type == GgmlType.Q5_1;
                var size = min ? 24 : 22;
                for (var b = 0; b < k / 32; b++, x += size, w += 32)
                {
                    D[b] = H(x);
                    if (min) M[b] = H(x + 2);
                    var qh = *(uint*)(x + (min ? 4 : 2));
                    var qs = x + (min ? 8 : 6);
                    var off = min ? 0 : -16;
                    if (Kernels.Widen.Q5Block(qs, qh, w, (short)off)) continue;
                    for (var j = 0; j < 16; j++)
                    {
                        w[j] = (short)(((qs[j] & 0x0F) | ((int)((qh >> j) << 4) & 0x10)) + off);
                        w[j + 16] = (short)(((qs[j] >> 4) | ((int)(qh >> (j + 12)) & 0x10)) + off);
                    }
                }
                break;
            case GgmlType.Q2_K: Q2K(x, k); break;
            case GgmlType.Q3_K: Q3K(x, k); break;
            case GgmlType.Q4_K: Q45K(x, k, false); break;
            case GgmlType.Q5_K: Q45K(x, k, true); break;
            case GgmlType.Q6_K: Q6K(x, k); break;
            default: throw new NotSupportedException($"no integer kernel for {GgmlTypeInfo.Name(type)}");
        }
    }

    private void Q2K(byte* x, int k)
    {
        var w = W;
        for (var b = 0; b < k / 256; b++, x += 84)
        {
            var sc = x;
            var q = x + 16;
            D[b] = H(x + 80);
            M[b] = H(x + 82);
            var s = 0;
            for (var n = 0; n < 256; n += 128, q += 32)
                for (int j = 0, shift = 0; j < 4; j++, shift += 2)
                    for (var half = 0; half < 2; half++, s++)
                    {
                        var c = sc[s];
                        short scale = (short)(c & 0xF);
                        Mins[b * 16 + s] = (short)(c >> 4);
                        var qq = q + 16 * half;
                        for (var l = 0; l < 16; l++) *w++ = (short)(scale * ((qq[l] >> shift) & 3));
                    }
        }
    }

    private void Q3K(byte* x, int k)
    {
        var w = W;
        var scales = stackalloc sbyte[16];
        for (var b = 0; b < k / 256; b++, x += 110)
        {
            var hm = x;
            var q = x + 32;
            D[b] = H(x + 108);
            Q3Scales(x + 96, scales);
            var s = 0;
            var m = 1;
            for (var n = 0; n < 256; n += 128, q += 32)
                for (int j = 0, shift = 0; j < 4; j++, shift += 2, m <<= 1)
                    for (var half = 0; half < 2; half++)
                    {
                        int scale = scales[s++];
                        var o = 16 * half;
                        for (var l = 0; l < 16; l++)
                            *w++ = (short)(scale * (((q[o + l] >> shift) & 3) - ((hm[o + l] & m) != 0 ? 0 : 4)));
                    }
        }
    }

    private void Q45K(byte* x, int k, bool five)
    {
        var w = W;
        var size = five ? 176 : 144;
        for (var b = 0; b < k / 256; b++, x += size)
        {
            D[b] = H(x);
            M[b] = H(x + 2);
            var sc = x + 4;
            var qh = x + 16;
            var ql = x + (five ? 48 : 16);
            int u1 = 1, u2 = 2;
            for (var s = 0; s < 8; s += 2, ql += 32, u1 <<= 2, u2 <<= 2)
            {
                ScaleMinK4(s, sc, out var c1, out var m1);
                ScaleMinK4(s + 1, sc, out var c2, out var m2);
                var mins = Mins + b * 16 + s * 2;
                mins[0] = mins[1] = (short)m1;
                mins[2] = mins[3] = (short)m2;
                if (five)
                {
                    for (var l = 0; l < 32; l++) w[l] = (short)(c1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)));
                    for (var l = 0; l < 32; l++) w[32 + l] = (short)(c2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)));
                }
                else Kernels.Widen.NibblesScaled(ql, w, (short)c1, (short)c2);
                w += 64;
            }
        }
    }

    private void Q6K(byte* x, int k)
    {
        var w = W;
        for (var b = 0; b < k / 256; b++, x += 210)
        {
            D[b] = H(x + 208);
            var ql = x;
            var qh = x + 128;
            var sc = (sbyte*)(x + 192);
            for (var n = 0; n < 256; n += 128, w += 128, ql += 64, qh += 32, sc += 8)
                if (!Kernels.Widen.Q6Half(ql, qh, sc, w))
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    w[l] = (short)(sc[s] * (((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32));
                    w[l + 32] = (short)(sc[s + 2] * (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32));
                    w[l + 64] = (short)(sc[s + 4] * (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32));
                    w[l + 96] = (short)(sc[s + 6] * (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32));
                }
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(W);
        NativeMemory.AlignedFree(D);
        NativeMemory.AlignedFree(M);
        NativeMemory.AlignedFree(Mins);
    }
}
