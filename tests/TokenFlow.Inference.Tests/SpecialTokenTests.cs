using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

/// <summary>Control tokens are single tokens in template text but plain text in user text; end-of-generation ids; bad vocabularies.</summary>
public sealed class SpecialTokenTests
{
    [Theory]
    [InlineData("llama-bpe", "<|eot_id|>", 128009)]
    [InlineData("qwen2", "<|im_end|>", 151645)]
    public void ControlTokensAreParsedOnlyInTemplateText(string vocab, string special, int id)
    {
        var tok = OracleTokenizers.Gguf(vocab);
        var text = "Hi" + special + "there";
        var template = tok.EncodeWithSpecials(text, addBos: false);
        Assert.Equal(1, template.Count(t => t == id));
        Assert.Equal(tok.Encode("Hi", false).Concat([id]).Concat(tok.Encode("there", false)), template);
        var user = tok.Encode(text, addBos: false);
        Assert.DoesNotContain(id, user);
        Assert.True(user.Length > 3);
        Assert.Equal(text, tok.Decode(user));
    }

    [Fact]
    public void EndOfGenerationIdsComeFromTheVocabulary()
    {
        var llama = OracleTokenizers.Gguf("llama-bpe");
        Assert.Contains(128009, llama.EndOfGenerationIds); // <|eot_id|> (eos)
        Assert.Contains(Id(llama, "<|end_of_text|>"), llama.EndOfGenerationIds);
        Assert.DoesNotContain(128000, llama.EndOfGenerationIds); // <|begin_of_text|>
        var qwen = OracleTokenizers.Gguf("qwen2");
        Assert.Contains(151645, qwen.EndOfGenerationIds);
        Assert.Contains(151643, qwen.EndOfGenerationIds);
        Assert.DoesNotContain(151644, qwen.EndOfGenerationIds); // <|im_start|>
    }

    [Fact]
    public void AddBosFollowsThePreTokenizerAndMetadata()
    {
        Assert.Equal(128000, OracleTokenizers.Gguf("llama-bpe").Encode("Hello")[0]);
        Assert.Equal(OracleTokenizers.Gguf("qwen2").Encode("Hello", false), OracleTokenizers.Gguf("qwen2").Encode("Hello"));
        Assert.Equal(128000, OracleTokenizers.Hf("llama3").Encode("Hello")[0]);
    }

    [Fact]
    public void StreamingDecodeNeverEmitsBrokenUtf8()
    {
        var tok = OracleTokenizers.Gguf("llama-bpe");
        const string text = "Llamas 🦙🦙 and 镇 and naïve café — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢!";
        var d = tok.CreateStreamingDecoder();
        var sb = new System.Text.StringBuilder();
        foreach (var id in tok.Encode(text, false))
        {
            var piece = d.Push(id);
            Assert.DoesNotContain('\uFFFD', piece);
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]), "a piece ends inside a surrogate pair");
            sb.Append(piece);
        }
        sb.Append(d.Flush());
        Assert.Equal(text, sb.ToString());
    }

    [Fact]
    public void UnknownPreTokenizerIsAClearError()
    {
        var path = WriteVocab(pre: "no-such-pre", merges: ["a b"]);
        using var g = GgufFile.Open(path);
        var e = Assert.Throws<NotSupportedException>(() => GgufTokenizerLoader.Load(g));
        Assert.Contains("unknown pre-tokenizer 'no-such-pre'", e.Message);
        Assert.Contains("llama-bpe", e.Message);
    }

    [Fact]
    public void BpeWithoutMergesIsAClearError()
    {
        var path = WriteVocab(pre: "gpt-2", merges: null);
        using var g = GgufFile.Open(path);
        var e = Assert.Throws<InvalidDataException>(() => GgufTokenizerLoader.Load(g));
        Assert.Contains("without merges", e.Message);
    }

    private static int Id(ITextTokenizer t, string text) => Enumerable.Range(0, t.VocabSize).Single(i => t.TokenText(i) == text);

    internal static string WriteVocab(string pre, string[]? merges)
    {
        var w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.Add("tokenizer.ggml.model", "gpt2");
        w.Add("tokenizer.ggml.pre", pre);
        w.Add("tokenizer.ggml.tokens", ["a", "b", "ab"]);
        w.Add("tokenizer.ggml.token_type", [1, 1, 1]);
        if (merges is not null) w.Add("tokenizer.ggml.merges", merges);
        var path = Path.Combine(Path.GetTempPath(), $"tf-vocab-{Guid.NewGuid():N}.gguf");
        using (var f = File.Create(path)) w.WriteTo(f);
        return path;
    }
}
