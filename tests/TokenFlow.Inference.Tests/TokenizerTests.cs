using System.Text;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

public sealed class TokenizerTests
{
    private static readonly Lazy<SentencePieceBpeTokenizer> Llama2 = new(() =>
        SentencePieceBpeTokenizer.LoadLlama2c(Path.Combine(TestModels.Dir, "llama2-tokenizer", "tokenizer.bin"), 32000));

    public static TheoryData<string, int[]> Llama2Vectors() => new()
    {
        { "Hello world!", [1, 15043, 3186, 29991] },
        { "grabbed", [1, 2646, 1327, 287] },
        { " grabbed", [1, 29871, 2646, 1327, 287] },
        { "           grabbed", [1, 9651, 2646, 1327, 287] },
        { "ax\n####\nboo", [1, 4853, 13, 4136, 13, 833, 29877] },
        { "🦙", [1, 29871, 243, 162, 169, 156] },
        { "镇", [1, 29871, 30411] },
        { "Once upon a time", [1, 9038, 2501, 263, 931] },
    };

    [Theory]
    [MemberData(nameof(Llama2Vectors))]
    public void Llama2TokenizerMatchesReference(string text, int[] expected)
    {
        Assert.Equal(expected, Llama2.Value.Encode(text));
        Assert.Equal(text, Llama2.Value.Decode(expected));
    }

    [Fact]
    public void Tok512EncodesZoo() => Assert.Equal([1, 410, 469, 347], TestModels.Stories260K.Tokenizer.Encode("Zoo"));

    [Fact]
    public void EmptyTextIsJustBos()
    {
        Assert.Equal([1], Llama2.Value.Encode(""));
        Assert.Empty(Llama2.Value.Encode("", addBos: false));
    }

    [Fact]
    public void ByteFallbackRoundTripsOnTinyVocab()
    {
        // tok512 has almost no non-ASCII pieces, so these go through <0xHH> byte tokens.
        var tok = TestModels.Stories260K.Tokenizer;
        foreach (var text in new[] { "héllo wörld", "日本語 🦙 ok", "a\u0301" })
            Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void StreamingDecoderNeverEmitsBrokenCharacters()
    {
        var tok = Llama2.Value;
        var text = "Llamas 🦙🦙 and 镇 and naïve café — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢!";
        var ids = tok.Encode(text);
        var d = tok.CreateStreamingDecoder();
        var sb = new StringBuilder();
        var sawHeldBack = false;
        foreach (var id in ids)
        {
            var part = d.Push(id);
            if (part.Length == 0 && id is >= 3 and <= 258) sawHeldBack = true;
            Assert.DoesNotContain('\uFFFD', part);
            if (part.Length > 0) Assert.False(char.IsHighSurrogate(part[^1]), "a surrogate pair was split");
            sb.Append(part);
        }
        sb.Append(d.Flush());
        Assert.True(sawHeldBack, "the emoji should arrive as byte pieces that are held back");
        Assert.Equal(text, sb.ToString());
    }

    [Fact]
    public void StreamingDecoderFlushesInvalidBytesAsReplacement()
    {
        var tok = Llama2.Value;
        var d = tok.CreateStreamingDecoder();
        Assert.Equal("", d.Push(1));
        Assert.Equal("", d.Push(0xF0 + 3)); // a lone 4-byte lead
        Assert.Equal("\uFFFD", d.Flush());
    }

    [Fact]
    public void GgufTokenizerEncodesLikeTheBinTokenizer()
    {
        using var gguf = LoadedModel.Load(Path.Combine(TestModels.StoriesDir, "stories260K.gguf"));
        var bin = TestModels.Stories260K.Tokenizer;
        foreach (var text in new[] { "Zoo", "Once upon a time", "Lily's mom said, \"Hi!\"\nThe end.", "héllo 🦙" })
        {
            Assert.Equal(bin.Encode(text), gguf.Tokenizer.Encode(text));
            Assert.Equal(text, gguf.Tokenizer.Decode(gguf.Tokenizer.Encode(text)));
        }
    }
}
