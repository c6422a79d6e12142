using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TokenFlow.Inference.Kernels;

/// <summary>Byte → int16 unpacking used when a quantized weight row is decoded (AVX2 where present, else scalar; same values).</summary>
internal static unsafe class Widen
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SByteToShort(sbyte* src, short* dst, int n)
    {
        var i = 0;
        if (Avx2.IsSupported)
            for (; i + 16 <= n; i += 16) Avx2.ConvertToVector256Int16(Sse2.LoadVector128(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary><paramref name="bytes"/> bytes of nibbles: low nibbles to dst[0..bytes), high to dst[bytes..2·bytes), plus <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Nibbles(byte* src, short* dst, int bytes, short offset)
    {
        if (Avx2.IsSupported && bytes == 16)
        {
            var v = Sse2.LoadVector128(src);
            var mask = Vector128.Create((byte)0x0F);
            var off = Vector256.Create(offset);
            (Avx2.ConvertToVector256Int16(v & mask) + off).Store(dst);
            (Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask) + off).Store(dst + 16);
            return;
        }
        for (var j = 0; j < bytes; j++)
        {
            dst[j] = (short)((src[j] & 0x0F) + offset);
            dst[j + bytes] = (short)((src[j] >> 4) + offset);
        }
    }

    /// <summary>32 bytes of nibbles: low nibbles × <paramref name="lo"/> to dst[0..32), high × <paramref name="hi"/> to dst[32..64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NibblesScaled(byte* src, short* dst, short lo, short hi)
    {
        if (Avx2.IsSupported)
        {
            var mask = Vector128.Create((byte)0x0F);
            var vlo = Vector256.Create(lo);
            var vhi = Vector256.Create(hi);
            for (var h = 0; h < 32; h += 16)
            {
                var v = Sse2.LoadVector128(src + h);
                Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(v & mask), vlo).Store(dst + h);
                Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask), vhi).Store(dst + 32 + h);
            }
            return;
        }
        for (var l = 0; l < 32; l++)
        {
            dst[l] = (short)(lo * (src[l] & 0xF));
            dst[32 + l] = (short)(hi * (src[l] >> 4));
        }
    }
}
