using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

/// <summary>Every llama.cpp tokenizer vector of the oracle folder: ids exactly equal, and the text round-trips.</summary>
public sealed class TokenizerVectorTests
{
    public static TheoryData<string> Vocabs() => new(OracleTokenizers.Vocabs);

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void GgufVocabularyMatchesLlamaCppVectors(string vocab)
    {
        var tok = OracleTokenizers.Gguf(vocab);
        var vectors = OracleTokenizers.Vectors(vocab);
        Assert.Equal(46, vectors.Length);
        var failures = new List<string>();
        foreach (var (text, ids) in vectors)
        {
            var got = tok.Encode(text, addBos: false);
            if (!got.SequenceEqual(ids)) failures.Add($"{Escape(text)}: expected [{string.Join(' ', ids)}] got [{string.Join(' ', got)}]");
            var back = tok.Decode(tok.Encode(text, addBos: true));
            if (back != text) failures.Add($"{Escape(text)}: round trip gave {Escape(back)}");
        }
        Assert.True(failures.Count == 0, $"{vocab}: {failures.Count} failures\n" + string.Join("\n", failures));
    }

    [Theory]
    [InlineData("llama3", "llama-bpe")]
    [InlineData("qwen3", "qwen2")]
    public void HuggingFaceTokenizerJsonMatchesTheSameVectors(string hf, string vocab)
    {
        var tok = OracleTokenizers.Hf(hf);
        var failures = new List<string>();
        foreach (var (text, ids) in OracleTokenizers.Vectors(vocab))
        {
            var got = tok.Encode(text, addBos: false);
            if (!got.SequenceEqual(ids)) failures.Add($"{Escape(text)}: expected [{string.Join(' ', ids)}] got [{string.Join(' ', got)}]");
        }
        Assert.True(failures.Count == 0, $"{hf}: {failures.Count} failures\n" + string.Join("\n", failures));
    }

    internal static string Escape(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
