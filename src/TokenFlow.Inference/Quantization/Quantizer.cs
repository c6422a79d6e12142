using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// Writes fp32 rows in ggml block formats (for <c>model synth</c>; benchmark inputs, not a
/// replacement for llama-quantize's error-minimising search). Q8_0, Q4_0 and Q5_0 follow ggml's
/// reference rounding; Q4_K and Q6_K use plain min/max scales, packed exactly as ggml lays them out.
/// </summary>
public static class Quantizer
{
    public static bool CanWrite(GgmlType t) => t is GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    public static void Row(GgmlType t, ReadOnlySpan<float> x, Span<byte> dst)
    {
        switch (t)
        {
            case GgmlType.F32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(x).CopyTo(dst);
                break;
            case GgmlType.F16:
                for (var i = 0; i < x.Length; i++) BitConverter.TryWriteBytes(dst[(2 * i)..], (Half)x[i]);
                break;
            case GgmlType.Q8_0: Q8_0(x, dst); break;
            case GgmlType.Q4_0: Q4_0(x, dst); break;
            case GgmlType.Q5_0: Q5_0(x, dst); break;
            case GgmlType.Q4_K: Q4_K(x, dst); break;
            case GgmlType.Q6_K: Q6_K(x, dst); break;
            default: throw new NotSupportedException($"cannot write {GgmlTypeInfo.Name(t)}");
        }
    }

    private static void Q8_0(ReadOnlySpan<float> x, Span<byte> dst)
    {
        for (var b = 0; b < x.Length / 32; b++)
        {
            var blk = x.Slice(b * 32, 32);
            var amax = 0f;
            foreach (var v in blk) amax = Math.Max(amax, Math.Abs(v));
            var d = amax / 127f;
            var id = d != 0 ? 1f / d : 0f;
            var o = dst.Slice(b * 34, 34);
            BitConverter.TryWriteBytes(o, (Half)d);
            for (var i = 0; i < 32; i++) o[2 + i] = (byte)(sbyte)MathF.Round(blk[i] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>The value of largest magnitude, with its sign (ggml's choice of scale).</summary>
    private static float SignedMax(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        foreach (var v in x) if (Math.Abs(v) > amax) { amax = Math.Abs(v); max = v; }
        return max;
    }

    private static void Q4_0(ReadOnlySpan<float> x, Span<byte> dst)
    {
        for (var b = 0; b < x.Length / 32; b++)
        {
            var blk = x.Slice(b * 32, 32);
            var d = SignedMax(blk) / -8;
            var id = d != 0 ? 1 / d : 0;
            var o = dst.Slice(b * 18, 18);
            BitConverter.TryWriteBytes(o, (Half)d);
            for (var j = 0; j < 16; j++)
            {
                var q0 = Math.Min(15, (int)(sbyte)(blk[j] * id + 8.5f));
                var q1 = Math.Min(15, (int)(sbyte)(blk[j + 16] * id + 8.5f));
                o[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    private static void Q5_0(ReadOnlySpan<float> x, Span<byte> dst)
    {
        for (var b = 0; b < x.Length / 32; b++)
        {
            var blk = x.Slice(b * 32, 32);
            var d = SignedMax(blk) / -16;
            var id = d != 0 ? 1 / d : 0;
            var o = dst.Slice(b * 22, 22);
            BitConverter.TryWriteBytes(o, (Half)d);
            uint qh = 0;
            for (var j = 0; j < 16; j++)
            {
                var q0 = Math.Min(31, (int)(sbyte)(blk[j] * id + 16.5f));
                var q1 = Math.Min(31, (int)(sbyte)(blk[j + 16] * id + 16.5f));
                o[6 + j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }
            BitConverter.TryWriteBytes(o[2..], qh);
        }
    }

    private static void Q4_K(ReadOnlySpan<float> x, Span<byte> dst)
    {
        Span<float> scale = stackalloc float[8], min = stackalloc float[8];
        Span<int> sc = stackalloc int[8], mn = stackalloc int[8];
        for (var b = 0; b < x.Length / 256; b++)
        {
            var blk = x.Slice(b * 256, 256);
            var o = dst.Slice(b * 144, 144);
            o.Clear();
            for (var j = 0; j < 8; j++)
            {
                var s = blk.Slice(32 * j, 32);
                float lo = 0, hi = float.MinValue;
                foreach (var v in s) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
                scale[j] = (hi - lo) / 15;
                min[j] = -lo;
            }
            float maxScale = 0, maxMin = 0;
            for (var j = 0; j < 8; j++) { maxScale = Math.Max(maxScale, scale[j]); maxMin = Math.Max(maxMin, min[j]); }
            var d = (float)(Half)(maxScale / 63);
            var dmin = (float)(Half)(maxMin / 63);
            for (var j = 0; j < 8; j++)
            {
                sc[j] = d > 0 ? Math.Clamp((int)MathF.Round(scale[j] / d), 0, 63) : 0;
                mn[j] = dmin > 0 ? Math.Clamp((int)MathF.Round(min[j] / dmin), 0, 63) : 0;
            }
            BitConverter.TryWriteBytes(o, (Half)d);
            BitConverter.TryWriteBytes(o[2..], (Half)dmin);
            var packed = o.Slice(4, 12);
            for (var j = 0; j < 4; j++)
            {
                packed[j] = (byte)(sc[j] | ((sc[j + 4] >> 4) << 6));
                packed[j + 4] = (byte)(mn[j] | ((mn[j + 4] >> 4) << 6));
                packed[j + 8] = (byte)((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
            }
            var qs = o.Slice(16, 128);
            for (var j = 0; j < 8; j++)
            {
                var step = d * sc[j];
                var m = dmin * mn[j];
                for (var l = 0; l < 32; l++)
                {
                    var q = step > 0 ? Math.Clamp((int)MathF.Round((blk[32 * j + l] + m) / step), 0, 15) : 0;
                    qs[j / 2 * 32 + l] |= (byte)(j % 2 == 0 ? q : q << 4);
                }
            }
        }
    }

    private static void Q6_K(ReadOnlySpan<float> x, Span<byte> dst)
    {
        Span<float> scale = stackalloc float[16];
        for (var b = 0; b < x.Length / 256; b++)
        {
            var blk = x.Slice(b * 256, 256);
            var o = dst.Slice(b * 210, 210);
            o.Clear();
            float maxAbs = 0, maxScale = 0;
            for (var j = 0; j < 16; j++)
            {
                scale[j] = SignedMax(blk.Slice(16 * j, 16)) / -32;
                if (Math.Abs(scale[j]) > maxAbs) { maxAbs = Math.Abs(scale[j]); maxScale = scale[j]; }
            }
            var d = (float)(Half)(maxScale / -128);
            var sc = o.Slice(192, 16);
            var ql = o[..128];
            var qh = o.Slice(128, 64);
            for (var j = 0; j < 16; j++) sc[j] = (byte)(sbyte)(d != 0 ? Math.Clamp((int)MathF.Round(scale[j] / d), -128, 127) : 0);
            for (var e = 0; e < 256; e++)
            {
                var step = d * (sbyte)sc[e / 16];
                var q = step != 0 ? Math.Clamp((int)MathF.Round(blk[e] / step) + 32, 0, 63) : 32;
                var half = e / 128;
                var r = e % 128;
                var quarter = r / 32;
                var l = r % 32;
                var lIndex = half * 64 + l + (quarter % 2 == 1 ? 32 : 0);
                ql[lIndex] |= (byte)(quarter < 2 ? q & 0xF : (q & 0xF) << 4);
                qh[half * 32 + l] |= (byte)((q >> 4) << (2 * quarter));
            }
            BitConverter.TryWriteBytes(o[208..], (Half)d);
        }
    }
}
