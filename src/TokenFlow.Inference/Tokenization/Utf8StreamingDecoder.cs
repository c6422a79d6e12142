using System.Text;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// Token-at-a-time decoding. A stateful UTF-8 decoder keeps the bytes of a character split across
/// pieces until the character completes, so only whole characters are released; invalid bytes
/// become U+FFFD.
/// </summary>
public sealed class Utf8StreamingDecoder : IStreamingDecoder
{
    private readonly ITokenBytes _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly List<byte> _bytes = new(16);
    private char[] _chars = new char[64];
    private int _prev = -1;

    public Utf8StreamingDecoder(ITokenBytes tokenizer) => _tokenizer = tokenizer;

    /// <summary>Decodes a whole sequence through one decoder.</summary>
    public static string DecodeAll(ITokenBytes tokenizer, IReadOnlyList<int> tokens)
    {
        var d = new Utf8StreamingDecoder(tokenizer);
        var sb = new StringBuilder();
        foreach (var t in tokens) sb.Append(d.Push(t));
        sb.Append(d.Flush());
        return sb.ToString();
    }

    public string Push(int token)
    {
        _bytes.Clear();
        _tokenizer.AppendBytes(_prev, token, _bytes);
        _prev = token;
        return Convert(flush: false);
    }

    public string Flush() => Convert(flush: true);

    private string Convert(bool flush)
    {
        Span<byte> buf = _bytes.Count <= 256 ? stackalloc byte[_bytes.Count] : new byte[_bytes.Count];
        for (var i = 0; i < _bytes.Count; i++) buf[i] = _bytes[i];
        _bytes.Clear();
        // Always hand the bytes to the decoder: an incomplete character is kept inside it until completed.
        var need = buf.Length + 8;
        if (_chars.Length < need) _chars = new char[need * 2];
        var n = _utf8.GetChars(buf, _chars, flush);
        if (n == 0) return string.Empty;
        return new string(_chars, 0, n);
    }
}
