using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// Block layouts of ggml's quantized types and their conversion to fp32, with ggml's own
/// arithmetic (the same products in the same order, no fused multiply-add), so a row comes out
/// bit-identical to ggml's <c>to_float</c>. Used for embedding rows, norms and the F32 reference
/// path; matrix products run on the blocks directly (<see cref="QuantDot"/>).
/// </summary>
internal static unsafe class Dequantizer
{
    /// <summary>fp16 → fp32 for every bit pattern: the runtime's Half conversion is a call (10 % of a Q8_0 decode step).</summary>
    private static readonly float[] HalfTable = BuildHalfTable();

    private static float[] BuildHalfTable()
    {
        var t = GC.AllocateArray<float>(65536, pinned: true);
        for (var i = 0; i < t.Length; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float H(byte* p) => HalfTable[*(ushort*)p];

    /// <summary>Converts one row of <paramref name="k"/> elements (a whole number of blocks) to fp32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(GgmlType type, byte* src, float* y, int k)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(src, y, (long)k * 4, (long)k * 4); break;
            case GgmlType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, k), new Span<float>(y, k)); break;
            case GgmlType.BF16:
                for (var i = 0; i < k; i++) y[i] = BitConverter.Int32BitsToSingle(((ushort*)src)[i] << 16);
                break;
            case GgmlType.Q4_0: Q4_0(src, y, k); break;
            case GgmlType.Q4_1: Q4_1(src, y, k); break;
            case GgmlType.Q5_0: Q5_0(src, y, k); break;
            case GgmlType.Q5_1: Q5_1(src, y, k); break;
            case GgmlType.Q8_0: Q8_0(src, y, k); break;
            case GgmlType.Q2_K: Q2_K(src, y, k); break;
            case GgmlType.Q3_K: Q3_K(src, y, k); break;
            case GgmlType.Q4_K: Q4_K(src, y, k); break;
            case GgmlType.Q5_K: Q5_K(src, y, k); break;
            case GgmlType.Q6_K: Q6_K(src, y, k); break;
            default: throw new NotSupportedException($"tensor type {GgmlTypeInfo.Name(type)} is not supported (supported: {GgmlTypeInfo.SupportedList})");
        }
    }

    // block_q4_0: fp16 d, 16 bytes of nibbles (low nibbles = elements 0..15, high = 16..31).
    private static void Q4_0(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 32; b++, x += 18, y += 32)
        {
            var d = H(x);
            var qs = x + 2;
            for (var j = 0; j < 16; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    // block_q4_1: fp16 d, fp16 m, 16 bytes of nibbles.
    private static void Q4_1(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 32; b++, x += 20, y += 32)
        {
            float d = H(x), m = H(x + 2);
            var qs = x + 4;
            for (var j = 0; j < 16; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + 16] = (qs[j] >> 4) * d + m;
            }
        }
    }

    // block_q5_0: fp16 d, 32 high bits (uint32), 16 bytes of nibbles.
    private static void Q5_0(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 32; b++, x += 22, y += 32)
        {
            var d = H(x);
            var qh = *(uint*)(x + 2);
            var qs = x + 6;
            for (var j = 0; j < 16; j++)
            {
                var h0 = (int)((qh >> j) << 4) & 0x10;
                var h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((qs[j] & 0x0F) | h0) - 16) * d;
                y[j + 16] = (((qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }

    // block_q5_1: fp16 d, fp16 m, 32 high bits, 16 bytes of nibbles.
    private static void Q5_1(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 32; b++, x += 24, y += 32)
        {
            float d = H(x), m = H(x + 2);
            var qh = *(uint*)(x + 4);
            var qs = x + 8;
            for (var j = 0; j < 16; j++)
            {
                var h0 = (int)((qh >> j) << 4) & 0x10;
                var h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((qs[j] & 0x0F) | h0) * d + m;
                y[j + 16] = ((qs[j] >> 4) | h1) * d + m;
            }
        }
    }

    // block_q8_0: fp16 d, 32 int8.
    private static void Q8_0(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 32; b++, x += 34, y += 32)
        {
            var d = H(x);
            var qs = (sbyte*)(x + 2);
            for (var j = 0; j < 32; j++) y[j] = qs[j] * d;
        }
    }

    // block_q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2 bits), fp16 d, fp16 dmin.
    private static void Q2_K(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 256; b++, x += 84)
        {
            var sc = x;
            var q = x + 16;
            float d = H(x + 80), min = H(x + 82);
            var s = 0;
            for (var n = 0; n < 256; n += 128, q += 32)
                for (int j = 0, shift = 0; j < 4; j++, shift += 2)
                {
                    for (var half = 0; half < 2; half++)
                    {
                        var c = sc[s++];
                        float dl = d * (c & 0xF), ml = min * (c >> 4);
                        var qq = q + 16 * half;
                        for (var l = 0; l < 16; l++) *y++ = dl * ((qq[l] >> shift) & 3) - ml;
                    }
                }
        }
    }

    /// <summary>Q3_K's 16 signed 6-bit scales (−32..31) from its 12 packed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q3Scales(byte* packed, sbyte* scales)
    {
        const uint km1 = 0x03030303, km2 = 0x0f0f0f0f;
        uint a0 = *(uint*)packed, a1 = *(uint*)(packed + 4), tmp = *(uint*)(packed + 8);
        var aux = stackalloc uint[4];
        aux[0] = (a0 & km2) | (((tmp >> 0) & km1) << 4);
        aux[1] = (a1 & km2) | (((tmp >> 2) & km1) << 4);
        aux[2] = ((a0 >> 4) & km2) | (((tmp >> 4) & km1) << 4);
        aux[3] = ((a1 >> 4) & km2) | (((tmp >> 6) & km1) << 4);
        var u = (byte*)aux;
        for (var i = 0; i < 16; i++) scales[i] = (sbyte)(u[i] - 32);
    }

    // block_q3_K: hmask[32], qs[64], scales[12], fp16 d.
    private static void Q3_K(byte* x, float* y, int k)
    {
        var scales = stackalloc sbyte[16];
        for (var b = 0; b < k / 256; b++, x += 110)
        {
            var hm = x;
            var q = x + 32;
            var d = H(x + 108);
            Q3Scales(x + 96, scales);
            var s = 0;
            var m = 1;
            for (var n = 0; n < 256; n += 128, q += 32)
                for (int j = 0, shift = 0; j < 4; j++, shift += 2, m <<= 1)
                    for (var half = 0; half < 2; half++)
                    {
                        var dl = d * scales[s++];
                        var o = 16 * half;
                        for (var l = 0; l < 16; l++)
                            *y++ = dl * (((q[o + l] >> shift) & 3) - ((hm[o + l] & m) != 0 ? 0 : 4));
                    }
        }
    }

    /// <summary>ggml's get_scale_min_k4: the j-th 6-bit scale and min of a Q4_K/Q5_K super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleMinK4(int j, byte* q, out int d, out int m)
    {
        if (j < 4) { d = q[j] & 63; m = q[j + 4] & 63; }
        else { d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
    }

    // block_q4_K: fp16 d, fp16 dmin, scales[12], qs[128].
    private static void Q4_K(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 256; b++, x += 144)
        {
            float d = H(x), min = H(x + 2);
            var sc = x + 4;
            var q = x + 16;
            for (int j = 0, s = 0; j < 256; j += 64, q += 32, s += 2)
            {
                ScaleMinK4(s, sc, out var c1, out var m1);
                ScaleMinK4(s + 1, sc, out var c2, out var m2);
                float d1 = d * c1, mm1 = min * m1, d2 = d * c2, mm2 = min * m2;
                for (var l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - mm1;
                for (var l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - mm2;
            }
        }
    }

    // block_q5_K: fp16 d, fp16 dmin, scales[12], qh[32], qs[128].
    private static void Q5_K(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 256; b++, x += 176)
        {
            float d = H(x), min = H(x + 2);
            var sc = x + 4;
            var qh = x + 16;
            var ql = x + 48;
            int u1 = 1, u2 = 2;
            for (int j = 0, s = 0; j < 256; j += 64, ql += 32, s += 2, u1 <<= 2, u2 <<= 2)
            {
                ScaleMinK4(s, sc, out var c1, out var m1);
                ScaleMinK4(s + 1, sc, out var c2, out var m2);
                float d1 = d * c1, mm1 = min * m1, d2 = d * c2, mm2 = min * m2;
                for (var l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - mm1;
                for (var l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - mm2;
            }
        }
    }

    // block_q6_K: ql[128], qh[64], int8 scales[16], fp16 d.
    private static void Q6_K(byte* x, float* y, int k)
    {
        for (var b = 0; b < k / 256; b++, x += 210)
        {
            var d = H(x + 208);
            var ql = x;
            var qh = x + 128;
            var sc = (sbyte*)(x + 192);
            for (var n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8)
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    var q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    var q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * sc[s] * q1;
                    y[l + 32] = d * sc[s + 2] * q2;
                    y[l + 64] = d * sc[s + 4] * q3;
                    y[l + 96] = d * sc[s + 6] * q4;
                }
        }
    }
}
