using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference;

/// <summary>Text ↔ token ids for one model.</summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int BosId { get; }
    int EosId { get; }

    /// <summary>"SentencePiece" or "byte-level BPE".</summary>
    string TokenizerKind { get; }

    /// <summary>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>) for BPE; null for SentencePiece.</summary>
    string? Pre { get; }

    /// <summary>Whether the model puts BOS before a prompt (what <c>addBos</c> asks for).</summary>
    bool AddsBos { get; }

    /// <summary>Tokens that end a generation: EOS and every eot/eom/im_end-like token the vocabulary marks.</summary>
    IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>
    /// Encodes user text as the model's reference implementation does, with BOS first when
    /// <paramref name="addBos"/> and the model adds one. Control tokens written in the text are plain text.
    /// </summary>
    int[] Encode(string text, bool addBos = true);

    /// <summary>Encodes template output: control tokens such as &lt;|eot_id|&gt; written in it become single tokens.</summary>
    int[] EncodeWithSpecials(string text, bool addBos);

    /// <summary>The text of a token as the vocabulary spells it (for listings and special-token lookup).</summary>
    string TokenText(int id);

    /// <summary>The token's type (normal, control, user-defined …).</summary>
    TokenKind KindOf(int id);

    /// <summary>Decodes a whole sequence to text (no broken UTF-8; control tokens add nothing).</summary>
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
