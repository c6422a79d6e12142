namespace TokenFlow.Inference.Tokenization;

/// <summary>A tokenizer's token → bytes step, which <see cref="Utf8StreamingDecoder"/> turns into whole characters.</summary>
public interface ITokenBytes
{
    /// <summary>Appends the bytes <paramref name="token"/> decodes to after <paramref name="prevToken"/> (−1 at the start).</summary>
    void AppendBytes(int prevToken, int token, List<byte> into);
}
