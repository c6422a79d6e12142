using TokenFlow.Inference;

namespace TokenFlow.Server.Model;

/// <summary>The real model: a <see cref="LoadedModel"/> (llama2.c .bin or GGUF) run by the CPU executor.</summary>
public sealed class LoadedModelHost(LoadedModel model) : IModelHost
{
    public LoadedModel Model { get; } = model;
    public string Name => Model.Name;
    public int ContextLength => Model.Config.ContextLength;
    public ITextTokenizer Tokenizer => Model.Tokenizer;
    public string? ChatTemplate => Model.ChatTemplate;
    public long KvBytesPerToken => Model.KvBytesPerToken;
    public bool IsSynthetic => Model.Format == "synthetic";
    public IReadOnlySet<int> StopTokenIds { get; } = model.StopTokenIds;

    public static LoadedModelHost Load(string path, string? tokenizerPath = null) => new(LoadedModel.Load(path, tokenizerPath));

    public static LoadedModelHost Synthetic(int seed = 1) => new(LoadedModel.CreateSynthetic(seed));

    public ModelExecutor CreateExecutor(int deviceBlocks, int hostBlocks, int blockSize, int? threads)
    {
        var ex = Model.CreateExecutor(deviceBlocks, hostBlocks, blockSize, threads);
        return new ModelExecutor(ex, ex, ex);
    }

    public void Dispose() => Model.Dispose();
}
