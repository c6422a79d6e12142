using System.Text;

namespace TokenFlow.Inference.Sampling.Json;

/// <summary>The UTF-8 text of each token on its own (special tokens: empty), built once per model for constrained decoding.</summary>
public sealed class JsonVocabulary
{
    private readonly byte[][] _bytes;

    public JsonVocabulary(ITextTokenizer tokenizer, IEnumerable<int> special)
    {
        var skip = new HashSet<int>(special);
        _bytes = new byte[tokenizer.VocabSize][];
        for (var t = 0; t < _bytes.Length; t++)
            _bytes[t] = skip.Contains(t) ? [] : Encoding.UTF8.GetBytes(tokenizer.Decode([t]));
    }

    public int Count => _bytes.Length;
    public ReadOnlySpan<byte> Bytes(int token) => (uint)token < (uint)_bytes.Length ? _bytes[token] : [];
}
