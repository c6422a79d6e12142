namespace TokenFlow.Inference.Formats;

/// <summary>One tensor of a GGUF file. Dims are listed innermost first, as GGUF stores them; <see cref="Offset"/> is absolute in the file.</summary>
public sealed record GgufTensorInfo(string Name, long[] Dims, GgmlType Type, long Offset, long Bytes)
{
    public long Elements => Dims.Aggregate(1L, (a, b) => a * b);
    public string Shape => string.Join('×', Dims);
}
