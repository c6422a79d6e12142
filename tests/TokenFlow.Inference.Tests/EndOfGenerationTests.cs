using TokenFlow.Core.Requests;
using TokenFlow.Inference.Engine;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

/// <summary>End-of-generation tokens the vocabulary marks stop generation; model paths resolve folders and refuse non-models.</summary>
public sealed class EndOfGenerationTests
{
    private static string StoriesGguf => Path.Combine(TestModels.StoriesDir, "stories260K.gguf");

    [Fact]
    public void AnEndOfGenerationTokenStopsGreedyGeneration()
    {
        int[] prompt = [1, 403, 407, 261, 378];
        using var plain = LoadedModel.Load(StoriesGguf);
        var free = TextGenerator.Generate(plain, prompt, 12, SamplingParams.Greedy);
        Assert.Equal(12, free.Tokens.Length);
        // A byte-level vocabulary of the model's size in which the 4th greedy token is <|im_end|>.
        var stopAt = Array.FindIndex(free.Tokens, t => t > 2 && Array.IndexOf(free.Tokens, t) >= 3);
        var eog = free.Tokens[stopAt];
        var vocab = WriteVocab(plain.Config.VocabSize, eog);
        using var model = LoadedModel.Load(StoriesGguf, vocab);
        Assert.Contains(eog, model.Tokenizer.EndOfGenerationIds);
        Assert.Contains(eog, model.StopTokenIds);
        var stopped = TextGenerator.Generate(model, prompt, 12, SamplingParams.Greedy);
        Assert.Equal(free.Tokens[..(stopAt + 1)], stopped.Tokens);
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public void ModelPathsResolveFoldersAndRefuseOtherFiles()
    {
        var one = Directory.CreateTempSubdirectory("tf-one-");
        File.Copy(StoriesGguf, Path.Combine(one.FullName, "m.gguf"));
        Assert.Equal(Path.Combine(one.FullName, "m.gguf"), ModelFiles.Resolve(one.FullName));
        var none = Directory.CreateTempSubdirectory("tf-none-");
        Assert.Contains("holds no GGUF", Assert.Throws<FileNotFoundException>(() => ModelFiles.Resolve(none.FullName)).Message);
        File.Copy(StoriesGguf, Path.Combine(one.FullName, "n.gguf"));
        Assert.Contains("holds 2 GGUF files", Assert.Throws<InvalidDataException>(() => ModelFiles.Resolve(one.FullName)).Message);
        var text = Path.Combine(none.FullName, "notes.txt");
        File.WriteAllText(text, "not a model at all, but long enough to look like a header");
        var e = Assert.Throws<InvalidDataException>(() => LoadedModel.Load(text));
        Assert.Contains("not a model file", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>256 byte tokens, then padding, with <paramref name="eogId"/> renamed to the control token &lt;|im_end|&gt;.</summary>
    internal static string WriteVocab(int size, int eogId)
    {
        var tokens = new string[size];
        var types = new int[size];
        for (var i = 0; i < size; i++)
        {
            tokens[i] = i < 256 ? ByteLevel.Encode((byte)i).ToString() : $"[PAD{i}]";
            types[i] = i < 256 ? 1 : 5;
        }
        tokens[eogId] = "<|im_end|>";
        types[eogId] = 3;
        var w = new GgufWriter();
        w.Add("tokenizer.ggml.model", "gpt2");
        w.Add("tokenizer.ggml.pre", "qwen2");
        w.Add("tokenizer.ggml.tokens", tokens);
        w.Add("tokenizer.ggml.token_type", types);
        w.Add("tokenizer.ggml.merges", [$"{ByteLevel.Encode((byte)'a')} {ByteLevel.Encode((byte)'b')}"]);
        var path = Path.Combine(Path.GetTempPath(), $"tf-eog-{Guid.NewGuid():N}.gguf");
        using (var f = File.Create(path)) w.WriteTo(f);
        return path;
    }
}
