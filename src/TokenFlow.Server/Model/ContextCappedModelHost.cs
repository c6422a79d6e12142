using TokenFlow.Inference;

namespace TokenFlow.Server.Model;

/// <summary>--max-model-len: the same model served with a shorter context (the API's limits and /v1/models follow it).</summary>
public sealed class ContextCappedModelHost(IModelHost inner, int contextLength) : IModelHost
{
    public string Name => inner.Name;
    public int ContextLength => contextLength;
    public ITextTokenizer Tokenizer => inner.Tokenizer;
    public string? ChatTemplate => inner.ChatTemplate;
    public long KvBytesPerToken => inner.KvBytesPerToken;
    public bool IsSynthetic => inner.IsSynthetic;
    public IReadOnlySet<int> StopTokenIds => inner.StopTokenIds;
    public ModelExecutor CreateExecutor(int deviceBlocks, int hostBlocks, int blockSize, int? threads) => inner.CreateExecutor(deviceBlocks, hostBlocks, blockSize, threads);
    public void Dispose() => inner.Dispose();
}
