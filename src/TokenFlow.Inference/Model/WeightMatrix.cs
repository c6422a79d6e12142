using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Model;

/// <summary>A row-major [Rows][Cols] weight (y = W·x) in place in a mapped file or native buffer.</summary>
public sealed unsafe class WeightMatrix
{
    public WeightMatrix(string name, GgmlType type, byte* data, int rows, int cols)
    {
        Name = name;
        Type = type;
        Data = data;
        Rows = rows;
        Cols = cols;
        RowBytes = GgmlTypeInfo.RowBytes(type, cols);
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public byte* Data { get; }
    public int Rows { get; }
    public int Cols { get; }
    public long RowBytes { get; }
    public bool IsF32 => Type == GgmlType.F32;

    public float* F32Row(int row) => (float*)(Data + row * RowBytes);

    /// <summary>Converts one row to fp32. Exact for F16/BF16; Q8_0 as scale × q (the same every time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void DequantizeRow(int row, Span<float> dst)
    {
        var p = Data + row * RowBytes;
        switch (Type)
        {
            case GgmlType.F32:
                new ReadOnlySpan<float>(p, Cols).CopyTo(dst);
                break;
            case GgmlType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(p, Cols), dst[..Cols]);
                break;
            case GgmlType.BF16:
                var src = (ushort*)p;
                for (var i = 0; i < Cols; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
                break;
            case GgmlType.Q8_0:
                for (var b = 0; b < Cols / GgmlTypeInfo.Q8BlockSize; b++)
                {
                    var blk = p + b * GgmlTypeInfo.Q8BlockBytes;
                    var d = (float)*(Half*)blk;
                    var q = (sbyte*)(blk + 2);
                    var o = dst.Slice(b * GgmlTypeInfo.Q8BlockSize, GgmlTypeInfo.Q8BlockSize);
                    for (var i = 0; i < GgmlTypeInfo.Q8BlockSize; i++) o[i] = d * q[i];
                }
                break;
            default:
                throw new NotSupportedException($"{Name}: tensor type {GgmlTypeInfo.Name(Type)} is not supported");
        }
    }

    /// <summary>The whole tensor as fp32 (for small vectors such as norm weights).</summary>
    public float[] ToArray()
    {
        var all = new float[(long)Rows * Cols];
        for (var r = 0; r < Rows; r++) DequantizeRow(r, all.AsSpan(r * Cols, Cols));
        return all;
    }
}

/// <summary>Native memory that outlives the weights pointing into it (synthetic models).</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(long bytes, nuint alignment = 64)
    {
        Bytes = bytes;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), alignment);
    }

    public long Bytes { get; }
    public byte* Pointer { get; private set; }

    public void Dispose()
    {
        if (Pointer == null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
