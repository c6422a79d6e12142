using Microsoft.Extensions.Logging;
using TokenFlow.Inference.Sampling.Json;
using TokenFlow.Server.Api;
using TokenFlow.Server.Dashboard;
using TokenFlow.Server.Engine;
using TokenFlow.Server.Metrics;
using TokenFlow.Server.Model;

namespace TokenFlow.Server;

/// <summary>Everything one server instance shares between its endpoints (a DI singleton).</summary>
public sealed class ServerState
{
    public required ServerOptions Options { get; init; }
    public required IModelHost Model { get; init; }
    public required string ModelName { get; init; }
    public required EngineRunner Runner { get; init; }
    public required RequestParser Parser { get; init; }
    public required ServerMetrics Metrics { get; init; }
    public required DashboardHistory History { get; init; }
    public required ILogger Log { get; init; }
    /// <summary>Token ids never shown as text (BOS, EOS), as vLLM's skip_special_tokens.</summary>
    public required int[] SpecialTokens { get; init; }
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    /// <summary>The executor's end-of-sequence token, if it has one.</summary>
    public int? EosTokenId { get; init; }
    /// <summary>Category "TokenFlow.Requests": one line per finished request with --log-requests.</summary>
    public ILogger RequestLog { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private Random? _seeds;

    /// <summary>With --seed, the seed of the next request that gives none (a reproducible sequence); else null (random).</summary>
    public ulong? NextSeed()
    {
        if (Options.Seed is not { } seed) return null;
        var rng = LazyInitializer.EnsureInitialized(ref _seeds, () => new Random(unchecked((int)seed ^ (int)(seed >> 32))));
        lock (rng) return (ulong)rng.NextInt64(1, long.MaxValue);
    }

    private JsonVocabulary? _jsonVocabulary;
    private string[]? _tokenTexts;

    /// <summary>Each token's text on its own, for constrained JSON decoding (built at first use).</summary>
    public JsonVocabulary JsonVocabulary => LazyInitializer.EnsureInitialized(ref _jsonVocabulary, () => new JsonVocabulary(Model.Tokenizer, SpecialTokens));

    /// <summary>A token's text on its own, as logprobs show it.</summary>
    public string TokenText(int token)
    {
        var texts = LazyInitializer.EnsureInitialized(ref _tokenTexts, () => new string[Model.Tokenizer.VocabSize]);
        if ((uint)token >= (uint)texts.Length) return "";
        return texts[token] ??= Model.Tokenizer.Decode([token]);
    }
}
