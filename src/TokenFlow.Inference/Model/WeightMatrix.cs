using System.Runtime.CompilerServices;
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

    /// <summary>Converts one row to fp32, bit-identical to ggml's <c>to_float</c>.</summary>
    public void DequantizeRow(int row, Span<float> dst)
    {
        if (dst.Length < Cols) throw new ArgumentException("destination shorter than a row", nameof(dst));
        fixed (float* y = dst) Quantization.Dequantizer.Row(Type, Data + row * RowBytes, y, Cols);
    }

    /// <summary>Converts one row to fp32 into <paramref name="dst"/> (Cols floats).</summary>
    public void DequantizeRow(int row, float* dst) => Quantization.Dequantizer.Row(Type, Data + row * RowBytes, dst, Cols);

    /// <summary>A view of rows [<paramref name="first"/>, first + <paramref name="rows"/>) (fused tensors such as phi3's attn_qkv).</summary>
    public WeightMatrix Slice(string name, int first, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + rows, Rows);
        return new WeightMatrix(name, Type, Data + first * RowBytes, rows, Cols);
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
