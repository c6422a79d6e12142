using System.Collections.Concurrent;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference.Tests;

/// <summary>The oracle's vocabulary GGUFs and llama.cpp test vectors (../shared/models/oracle/tokenizers), each loaded once.</summary>
internal static class OracleTokenizers
{
    public static string Dir { get; } = Path.Combine(TestModels.Dir, "oracle", "tokenizers");

    private static readonly ConcurrentDictionary<string, Lazy<ITextTokenizer>> Cache = new();

    public static readonly string[] Vocabs = ["llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "deepseek-coder", "starcoder", "llama-spm", "phi-3"];

    public static string GgufPath(string vocab) => Path.Combine(Dir, $"ggml-vocab-{vocab}.gguf");

    public static ITextTokenizer Gguf(string vocab) => Cache.GetOrAdd("gguf:" + vocab, v => new(() =>
    {
        using var g = GgufFile.Open(GgufPath(vocab));
        return GgufTokenizerLoader.Load(g);
    })).Value;

    public static ITextTokenizer Hf(string name) => Cache.GetOrAdd("hf:" + name, v => new(() =>
        HfTokenizerJson.Load(Path.Combine(Dir, "hf", name, "tokenizer.json.gz")))).Value;

    /// <summary>llama.cpp test-tokenizer-0 format: strings each followed by "\n__ggml_vocab_test__\n"; one line of ids per string.</summary>
    public static (string Text, int[] Ids)[] Vectors(string vocab)
    {
        var inp = File.ReadAllText(GgufPath(vocab) + ".inp");
        var texts = inp.Split("\n__ggml_vocab_test__\n");
        var lines = File.ReadAllText(GgufPath(vocab) + ".out").Split('\n');
        var n = texts.Length - 1; // the file ends with the separator
        var result = new (string, int[])[n];
        for (var i = 0; i < n; i++)
            result[i] = (texts[i], lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray());
        return result;
    }
}
