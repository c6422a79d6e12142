namespace TokenFlow.Inference.Formats;

/// <summary>ggml tensor element types (the numbering of ggml.h).</summary>
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
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
}

public static class GgmlTypeInfo
{
    public const int Q8BlockSize = 32;
    public const int Q8BlockBytes = 34; // fp16 scale + 32 int8
    public const int QK_K = 256;

    /// <summary>The weight types the engine runs, in the order <c>model info</c> and errors list them.</summary>
    public static IReadOnlyList<GgmlType> Supported { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static string SupportedList => string.Join(", ", Supported);

    public static bool IsSupported(GgmlType t) => BlockBytes(t) > 0;

    /// <summary>Elements per block (1 for plain floats).</summary>
    public static int BlockSize(GgmlType t) => t switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => QK_K,
        _ => 0,
    };

    /// <summary>Bytes per block (ggml's type_size), 0 for types the engine does not run.</summary>
    public static int BlockBytes(GgmlType t) => t switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 => 18,
        GgmlType.Q4_1 => 20,
        GgmlType.Q5_0 => 22,
        GgmlType.Q5_1 => 24,
        GgmlType.Q8_0 => 34,
        GgmlType.Q2_K => 84,
        GgmlType.Q3_K => 110,
        GgmlType.Q4_K => 144,
        GgmlType.Q5_K => 176,
        GgmlType.Q6_K => 210,
        _ => 0,
    };

    /// <summary>Bytes of one row of <paramref name="cols"/> elements, or −1 when the type is not supported or the row does not split into whole blocks.</summary>
    public static long RowBytes(GgmlType t, long cols)
    {
        var bs = BlockSize(t);
        if (bs == 0 || cols % bs != 0) return -1;
        return cols / bs * BlockBytes(t);
    }

    /// <summary>True for the block-quantized types (integer dot products on Q8 activations).</summary>
    public static bool IsQuantized(GgmlType t) => BlockSize(t) > 1;

    public static string Name(GgmlType t) => Enum.IsDefined(t) ? t.ToString() : $"type#{(uint)t}";
}
