using TokenFlow.Core.Execution;
using TokenFlow.Core.Transfers;
using TokenFlow.Inference;

namespace TokenFlow.Server.Model;

/// <summary>
/// What the server needs from a model: text ↔ tokens, its limits and an executor for the engine.
/// A seam so tests can plug a toy model and the server does not depend on loader details.
/// </summary>
public interface IModelHost : IDisposable
{
    /// <summary>The id served on /v1/models and echoed in responses.</summary>
    string Name { get; }
    int ContextLength { get; }
    ITextTokenizer Tokenizer { get; }
    /// <summary>Jinja chat template from the model's metadata, if any.</summary>
    string? ChatTemplate { get; }
    long KvBytesPerToken { get; }
    /// <summary>True for the built-in random model whose text is meaningless.</summary>
    bool IsSynthetic { get; }
    /// <summary>Tokens that end generation besides the executor's EOS (llama2.c story models stop at BOS too).</summary>
    IReadOnlySet<int> StopTokenIds { get; }

    ModelExecutor CreateExecutor(int deviceBlocks, int hostBlocks, int blockSize, int? threads);
}

/// <summary>An executor and the block copier over its KV arenas (usually the same object).</summary>
public sealed record ModelExecutor(IExecutor Executor, IKvBlockCopier Copier, IDisposable? Owner);
