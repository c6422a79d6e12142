using TokenFlow.Core.Requests;
using TokenFlow.Inference.Engine;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

public sealed class GgufTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("tokenflow-inf-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static string StoriesGguf => Path.Combine(TestModels.StoriesDir, "stories260K.gguf");

    [Fact]
    public void StoriesGgufLoadsWithTheBinShape()
    {
        using var m = LoadedModel.Load(StoriesGguf);
        var bin = TestModels.Stories260K.Config;
        Assert.Equal("gguf", m.Format);
        Assert.Equal(bin with { ContextLength = 128, Rope = m.Config.Rope }, m.Config);
        Assert.Equal(new RopeSettings(GgmlAngles: true), m.Config.Rope);
        Assert.Equal(512, m.Tokenizer.VocabSize);
        Assert.False(m.TiedClassifier);
    }

    [Fact]
    public void GgufReachedThroughASymbolicLinkLoads()
    {
        var link = Path.Combine(_tmp, "linked.gguf");
        File.CreateSymbolicLink(link, Path.GetFullPath(StoriesGguf));
        using var viaLink = LoadedModel.Load(link);
        using var direct = LoadedModel.Load(StoriesGguf);
        Assert.Equal(direct.Config, viaLink.Config);
        Assert.Equal(direct.ComputeLogits([1, 403, 407]), viaLink.ComputeLogits([1, 403, 407]));
    }

    [Fact]
    public void StoriesGgufGreedyTokensEqualTheBin()
    {
        using var gguf = LoadedModel.Load(StoriesGguf);
        var prompt = TestModels.Stories260K.Tokenizer.Encode("Once upon a time");
        var a = TextGenerator.Generate(TestModels.Stories260K, prompt, 120, threads: 1);
        var b = TextGenerator.Generate(gguf, prompt, 120, threads: 1);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.StartsWith(", there was a little girl named Lily.", b.Text);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    public void SynthRoundTrip(GgmlType type)
    {
        var tok = SentencePieceBpeTokenizer.LoadLlama2c(Path.Combine(TestModels.Dir, "llama2-tokenizer", "tokenizer.bin"), 32000);
        var shape = new ModelConfig(64, 192, 2, 4, 2, 16, 32000, 256);
        var f32Path = Path.Combine(_tmp, "f32.gguf");
        var path = Path.Combine(_tmp, $"{type}.gguf");
        GgufSynthesizer.Write(f32Path, shape, tok, seed: 7, GgmlType.F32);
        GgufSynthesizer.Write(path, shape, tok, seed: 7, type);
        using var reference = LoadedModel.Load(f32Path);
        using var m = LoadedModel.Load(path);
        Assert.Equal(shape with { Rope = m.Config.Rope }, m.Config);
        Assert.Equal(type.ToString(), Assert.Single(m.TensorTypes).Key);
        Assert.Equal(tok.Encode("Hello world!"), m.Tokenizer.Encode("Hello world!"));
        Assert.Equal("Hello world!", m.Tokenizer.Decode(m.Tokenizer.Encode("Hello world!")));

        var prompt = m.Tokenizer.Encode("Once upon a time");
        var r = TextGenerator.Generate(m, prompt, 12, threads: 2);
        Assert.Equal(12, r.Tokens.Length);
        Assert.All(r.Tokens, t => Assert.InRange(t, 0, 31999));
        Assert.Equal(r.Tokens, TextGenerator.Generate(m, prompt, 12, threads: 1).Tokens);

        // Same seed → the same underlying weights, so logits agree up to the format's rounding.
        var want = reference.ComputeLogits(prompt);
        var got = m.ComputeLogits(prompt);
        // Q8_0 runs integer dot products on Q8_0-quantized activations, as llama.cpp does: the 8e-2 for quantized types.
        var tol = type switch { GgmlType.F32 => 0f, GgmlType.F16 => 2e-3f, _ => 8e-2f };
        for (var i = 0; i < want.Length; i++) Assert.InRange(got[i], want[i] - tol, want[i] + tol);
    }

    [Fact]
    public void TruncatedGgufIsRejectedCleanly()
    {
        var bytes = File.ReadAllBytes(StoriesGguf);
        foreach (var len in new[] { 3, 4, 10, 24, 100, 1000, 20_000, bytes.Length / 2, bytes.Length - 1 })
        {
            var p = Path.Combine(_tmp, $"trunc{len}.gguf");
            File.WriteAllBytes(p, bytes[..len]);
            var e = Assert.ThrowsAny<Exception>(() => LoadedModel.Load(p).Dispose());
            Assert.True(e is InvalidDataException, $"{len}: {e.GetType().Name}: {e.Message}");
            Assert.Contains(p, e.Message);
        }
    }

    [Fact]
    public void CorruptGgufIsRejectedCleanly()
    {
        var bytes = File.ReadAllBytes(StoriesGguf);
        var rng = new Random(5);
        for (var i = 0; i < 40; i++)
        {
            var copy = (byte[])bytes.Clone();
            // Scramble a few bytes in the header/metadata region.
            for (var k = 0; k < 4; k++) copy[rng.Next(4, 60_000)] = (byte)rng.Next(256);
            var p = Path.Combine(_tmp, $"corrupt{i}.gguf");
            File.WriteAllBytes(p, copy);
            try { LoadedModel.Load(p).Dispose(); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException) { Assert.Contains(p, e.Message); }
        }
    }

    [Fact]
    public void UnknownArchitectureAndUnsupportedTypeAreNamed()
    {
        var arch = Path.Combine(_tmp, "arch.gguf");
        var w = new GgufWriter();
        w.Add("general.architecture", "mamba");
        using (var fs = File.Create(arch)) w.WriteTo(fs);
        var e1 = Assert.Throws<NotSupportedException>(() => LoadedModel.Load(arch));
        Assert.Contains("mamba", e1.Message);
        Assert.Contains(arch, e1.Message);

        var q4 = Path.Combine(_tmp, "iq2.gguf");
        w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.Add("llama.embedding_length", 64u);
        w.Add("llama.feed_forward_length", 128u);
        w.Add("llama.block_count", 1u);
        w.Add("llama.attention.head_count", 4u);
        w.AddRawTensor("token_embd.weight", [256, 8], GgmlType.IQ2_XS, 8 * 74, s => s.Write(new byte[8 * 74]));
        using (var fs = File.Create(q4)) w.WriteTo(fs);
        var e2 = Assert.Throws<NotSupportedException>(() => LoadedModel.Load(q4));
        Assert.Contains("IQ2_XS", e2.Message);
        Assert.Contains("token_embd.weight", e2.Message);
        Assert.Contains("Q4_K", e2.Message); // the supported list
    }

    [Fact]
    public void TruncatedLlama2cCheckpointIsRejected()
    {
        var src = Path.Combine(TestModels.StoriesDir, "stories260K.bin");
        var bytes = File.ReadAllBytes(src);
        foreach (var len in new[] { 1, 27, 28, 5000, bytes.Length - 5000 })
        {
            var dir = Directory.CreateDirectory(Path.Combine(_tmp, $"b{len}")).FullName;
            File.Copy(Path.Combine(TestModels.StoriesDir, "tok512.bin"), Path.Combine(dir, "tok512.bin"));
            var p = Path.Combine(dir, "m.bin");
            File.WriteAllBytes(p, bytes[..len]);
            var e = Assert.Throws<InvalidDataException>(() => LoadedModel.Load(p));
            Assert.Contains(p, e.Message);
        }
        Assert.Throws<FileNotFoundException>(() => LoadedModel.Load(Path.Combine(_tmp, "missing.bin")));
    }

    [Fact]
    public void SyntheticModelRuns()
    {
        using var m = LoadedModel.CreateSynthetic(seed: 3);
        var r = TextGenerator.Generate(m, "hello", 10, new SamplingParams { Temperature = 0.8f, TopK = 40, TopP = 0.95f, Seed = 9 });
        Assert.InRange(r.Tokens.Length, 1, 10);
        Assert.Equal(r.Tokens, TextGenerator.Generate(m, "hello", 10, new SamplingParams { Temperature = 0.8f, TopK = 40, TopP = 0.95f, Seed = 9 }).Tokens);
    }
}
