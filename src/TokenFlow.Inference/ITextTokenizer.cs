namespace TokenFlow.Inference;

/// <summary>Text ↔ token ids for one model.</summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int BosId { get; }
    int EosId { get; }

    /// <summary>Encodes as the model's reference implementation does, optionally with BOS first.</summary>
    int[] Encode(string text, bool addBos = true);

    /// <summary>Decodes a whole sequence to text (no broken UTF-8; a piece right after BOS loses its leading space).</summary>
    string Decode(IReadOnlyList<int> tokens);

    /// <summary>A fresh incremental decoder for one stream.</summary>
    IStreamingDecoder CreateStreamingDecoder();
}

/// <summary>
/// Turns tokens into text one at a time, holding back bytes of a UTF-8 character split across
/// pieces so that no broken character is ever emitted.
/// </summary>
public interface IStreamingDecoder
{
    /// <summary>Feeds the next token (the previous one decides leading-space handling); returns the complete text it releases, possibly empty.</summary>
    string Push(int token);

    /// <summary>Releases whatever is held back at the end of the stream (invalid bytes become U+FFFD).</summary>
    string Flush();
}
