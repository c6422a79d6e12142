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

    /// <summary>(bit « 4) for each bit of a byte, as 8 int16: the Q5 high bits of 8 elements.</summary>
    private static readonly short[] HighBits = BuildHighBits();

    private static short[] BuildHighBits()
    {
        var t = new short[256 * 8];
        for (var b = 0; b < 256; b++)
            for (var i = 0; i < 8; i++) t[b * 8 + i] = (short)(((b >> i) & 1) << 4);
        return t;
    }

    /// <summary>One Q5_0/Q5_1 block (16 nibble bytes, 32 high bits) to 32 int16 plus <paramref name="offset"/>; false without AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Q5Block(byte* qs, uint qh, short* dst, short offset)
    {
        if (!Avx2.IsSupported) return false;
        var v = Sse2.LoadVector128(qs);
        var mask = Vector128.Create((byte)0x0F);
        var off = Vector256.Create(offset);
        fixed (short* t = HighBits)
        {
            var h0 = Vector256.Create(Sse2.LoadVector128(t + (qh & 0xFF) * 8), Sse2.LoadVector128(t + ((qh >> 8) & 0xFF) * 8));
            var h1 = Vector256.Create(Sse2.LoadVector128(t + ((qh >> 16) & 0xFF) * 8), Sse2.LoadVector128(t + (qh >> 24) * 8));
            ((Avx2.ConvertToVector256Int16(v & mask) | h0) + off).Store(dst);
            ((Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask) | h1) + off).Store(dst + 16);
        }
        return true;
    }

    /// <summary>Half a Q6_K super-block (64 ql bytes, 32 qh bytes, 8 scales) to 128 int16 with the scales folded in; false without AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Q6Half(byte* ql, byte* qh, sbyte* sc, short* dst)
    {
        if (!Avx2.IsSupported) return false;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        var l0 = Avx.LoadVector256(ql);
        var l1 = Avx.LoadVector256(ql + 32);
        var h = Avx.LoadVector256(qh);
        var thirtyTwo = Vector256.Create((sbyte)32);
        // Quarter k covers elements 32k..32k+31: low or high nibbles of l0/l1 and bits 2k..2k+1 of qh.
        for (var k = 0; k < 4; k++)
        {
            var lo = k % 2 == 0 ? l0 : l1;
            var nib = k < 2 ? lo & m4 : Avx2.ShiftRightLogical(lo.AsUInt16(), 4).AsByte() & m4;
            var hb = Vector256.ShiftRightLogical(h.AsUInt16(), 2 * k).AsByte() & m2;
            var q = Avx2.Subtract((nib | Avx2.ShiftLeftLogical(hb.AsUInt16(), 4).AsByte()).AsSByte(), thirtyTwo);
            var d = dst + 32 * k;
            Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(q.GetLower()), Vector256.Create((short)sc[2 * k])).Store(d);
            Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(q.GetUpper()), Vector256.Create((short)sc[2 * k + 1])).Store(d + 16);
        }
        return true;
    }
}
