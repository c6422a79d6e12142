using TokenFlow.Core.Requests;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Inference;

/// <summary>
/// A model ready to run: its shape, weights (memory-mapped; F32 GEMM weights copied onto huge pages, see WeightPacking), tokenizer and metadata.
/// Create executors from it; it must outlive them.
/// </summary>
public sealed unsafe class LoadedModel : IDisposable
{
    private readonly List<IDisposable> _owned;

    internal LoadedModel(string name, string format, ModelConfig config, LlamaWeights weights, SentencePieceBpeTokenizer tokenizer,
        string? chatTemplate, IEnumerable<IDisposable> owned, string? path = null)
    {
        Name = name;
        Format = format;
        Config = config;
        Weights = weights;
        SpTokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        Path = path;
        _owned = owned.ToList();
    }

    public string Name { get; }
    /// <summary>"gguf", "llama2c" or "synthetic".</summary>
    public string Format { get; }
    public string? Path { get; }
    public ModelConfig Config { get; }
    public ITextTokenizer Tokenizer => SpTokenizer;
    internal SentencePieceBpeTokenizer SpTokenizer { get; }
    internal LlamaWeights Weights { get; }
    public string? ChatTemplate { get; }
    /// <summary>False when loaded weights-only with a placeholder tokenizer (benchmarks).</summary>
    public bool HasFileTokenizer { get; private init; } = true;

    /// <summary>KV bytes per position: K and V, every layer, fp32.</summary>
    public long KvBytesPerToken => 2L * Config.Layers * Config.KvDim * sizeof(float);

    /// <summary>Tokens that end a generation: EOS, and BOS (llama2.c story models emit BOS between stories; run.c stops there).</summary>
    public IReadOnlySet<int> StopTokenIds => new HashSet<int> { Tokenizer.EosId, Tokenizer.BosId };

    /// <summary>Tensor types by count, e.g. "F32×48" (for <c>model info</c>).</summary>
    public IReadOnlyDictionary<string, int> TensorTypes =>
        Weights.Matrices().GroupBy(m => m.Type.ToString()).ToDictionary(g => g.Key, g => g.Count());

    public bool TiedClassifier => Weights.TiedClassifier;

    /// <summary>
    /// Loads a GGUF (detected by magic) or a llama2.c version-0 checkpoint. For a .bin without
    /// <paramref name="tokenizerPath"/>, tok{vocab}.bin or tokenizer.bin beside it is used.
    /// </summary>
    /// <param name="weightsOnly">For benchmarks: a GGUF whose tokenizer kind is not supported still loads, with a byte-level placeholder tokenizer (<see cref="HasFileTokenizer"/> false).</param>
    public static LoadedModel Load(string modelPath, string? tokenizerPath = null, bool weightsOnly = false)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: model file not found", modelPath);
        if (GgufFile.HasMagic(modelPath))
        {
            var g = GgufFile.Open(modelPath);
            try
            {
                var (config, weights) = GgufModelLoader.LoadWeights(g);
                var name = g.Get<string>("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(modelPath);
                var hasTokenizer = true;
                SentencePieceBpeTokenizer tok;
                try { tok = tokenizerPath is not null ? SentencePieceBpeTokenizer.LoadLlama2c(tokenizerPath, config.VocabSize) : GgufModelLoader.LoadTokenizer(g, config.VocabSize); }
                catch (NotSupportedException) when (weightsOnly) { tok = SentencePieceBpeTokenizer.CreateByteLevel(); hasTokenizer = false; }
                var (packed, buffer) = WeightPacking.Pack(weights, g.File.Base, g.File.Length);
                return new LoadedModel(name, "gguf", config, packed, tok, g.Get<string>("tokenizer.chat_template"), buffer is null ? [g] : [g, buffer], modelPath) { HasFileTokenizer = hasTokenizer };
            }
            catch { g.Dispose(); throw; }
        }
        var file = new MappedFile(modelPath);
        try
        {
            var (config, weights) = Llama2cLoader.Load(file);
            tokenizerPath ??= FindTokenizer(modelPath, config.VocabSize);
            var tok = SentencePieceBpeTokenizer.LoadLlama2c(tokenizerPath, config.VocabSize);
            var (packed, buffer) = WeightPacking.Pack(weights, file.Base, file.Length);
            return new LoadedModel(System.IO.Path.GetFileNameWithoutExtension(modelPath), "llama2c", config, packed, tok, null, buffer is null ? [file] : [file, buffer], modelPath);
        }
        catch { file.Dispose(); throw; }
    }

    private static string FindTokenizer(string modelPath, int vocab)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath))!;
        foreach (var name in new[] { $"tok{vocab}.bin", "tok512.bin", "tokenizer.bin" })
        {
            var p = System.IO.Path.Combine(dir, name);
            if (File.Exists(p) && !SamePath(p, modelPath)) return p;
        }
        throw new FileNotFoundException($"{modelPath}: no tokenizer given and none found beside it (looked for tok{vocab}.bin, tokenizer.bin)");
    }

    private static bool SamePath(string a, string b) => System.IO.Path.GetFullPath(a) == System.IO.Path.GetFullPath(b);

    /// <summary>
    /// A tiny seeded random model with a byte-level tokenizer (its text is meaningless), for running
    /// the server and tests without model files.
    /// </summary>
    public static LoadedModel CreateSynthetic(int seed = 1, ModelConfig? config = null)
    {
        var tok = SentencePieceBpeTokenizer.CreateByteLevel();
        config ??= new ModelConfig(Dim: 64, HiddenDim: 172, Layers: 2, Heads: 4, KvHeads: 2, HeadDim: 16, VocabSize: tok.VocabSize, ContextLength: 2048);
        if (config.VocabSize != tok.VocabSize) throw new ArgumentException($"synthetic models use the {tok.VocabSize}-token byte-level tokenizer");
        var (weights, buffer) = SyntheticWeights.Create(config, seed);
        return new LoadedModel($"synthetic-{seed}", "synthetic", config, weights, tok, null, [buffer]);
    }

    /// <summary>A CPU executor with its own device and host KV arenas (block counts of <paramref name="blockSize"/> tokens).</summary>
    public CpuModelExecutor CreateExecutor(int deviceBlocks, int hostBlocks, int blockSize = 16, int? threads = null) =>
        new(this, deviceBlocks, hostBlocks, blockSize, threads);

    /// <summary>Runs <paramref name="tokens"/> from position 0 as one sequence and returns the logits after the last one (tests, tools).</summary>
    public float[] ComputeLogits(IReadOnlyList<int> tokens, int? threads = 1)
    {
        const int bs = 16;
        var blocks = (tokens.Count + bs - 1) / bs;
        using var ex = CreateExecutor(blocks, 0, bs, threads);
        var r = new Request("logits", tokens.ToArray(), 1, 1, 0);
        var table = Enumerable.Range(0, blocks).ToArray();
        var batch = new[] { new Core.Execution.ScheduledSequence(r, 0, tokens.Count, table) };
        Span<int> sampled = stackalloc int[1];
        ex.Execute(batch, sampled);
        return ex.Logits(0).ToArray();
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }
}
