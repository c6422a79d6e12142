namespace TokenFlow.Inference.Formats;

/// <summary>ggml tensor element types (the numbering of ggml.h). Only the first four are executable here.</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
}

public static class GgmlTypeInfo
{
    public const int Q8BlockSize = 32;
    public const int Q8BlockBytes = 34; // fp16 scale + 32 int8

    public static bool IsSupported(GgmlType t) => t is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0;

    /// <summary>Bytes of one row of <paramref name="cols"/> elements, or −1 when the row does not split into whole blocks.</summary>
    public static long RowBytes(GgmlType t, long cols) => t switch
    {
        GgmlType.F32 => cols * 4,
        GgmlType.F16 or GgmlType.BF16 => cols * 2,
        GgmlType.Q8_0 => cols % Q8BlockSize == 0 ? cols / Q8BlockSize * Q8BlockBytes : -1,
        _ => -1,
    };

    public static string Name(GgmlType t) => Enum.IsDefined(t) ? t.ToString() : $"type#{(uint)t}";
}
