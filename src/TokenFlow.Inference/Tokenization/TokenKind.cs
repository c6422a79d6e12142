namespace TokenFlow.Inference.Tokenization;

/// <summary>SentencePiece token types as GGUF stores them (tokenizer.ggml.token_type).</summary>
public enum TokenKind
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
