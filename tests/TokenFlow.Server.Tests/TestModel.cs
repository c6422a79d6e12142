using TokenFlow.Core.Execution;
using TokenFlow.Inference;
using TokenFlow.Server;
using TokenFlow.Server.Model;

namespace TokenFlow.Server.Tests;

/// <summary>The real stories260K model (../shared/models, or TOKENFLOW_MODELS_DIR), plus ways to start servers on it.</summary>
internal static class TestModel
{
    public static string Directory =>
        ModelLocator.FindStories260K(SourceDir()) ?? throw new InvalidOperationException("stories260K not found: put it in ../shared/models/stories260K or set TOKENFLOW_MODELS_DIR");

    private static string SourceDir([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file) ?? ".";

    public static string ModelPath => Path.Combine(Directory, "stories260K.bin");

    /// <summary>../shared/models/oracle (llama.cpp reference fixtures).</summary>
    public static string OracleDir => Path.GetFullPath(Path.Combine(Directory, "..", "oracle"));
    public static string TokenizerPath => Path.Combine(Directory, "tok512.bin");

    public static LoadedModel LoadRaw() => LoadedModel.Load(ModelPath, TokenizerPath);

    /// <summary>Options for a test server: free port, stories260K, small pools.</summary>
    public static ServerOptions Options(Func<ServerOptions, ServerOptions>? tweak = null)
    {
        var o = new ServerOptions { Port = 0, ModelPath = ModelPath, TokenizerPath = TokenizerPath, DeviceKvBlocks = 512, HostKvBlocks = 1024, Threads = 1 };
        return tweak is null ? o : tweak(o);
    }

    /// <summary>Starts a server; <paramref name="stepDelay"/> slows every engine iteration (same real model, longer streams in wall time).</summary>
    public static Task<ServerHandle> StartAsync(ServerOptions options, TimeSpan? stepDelay = null)
    {
        IModelHost host = LoadedModelHost.Load(options.ModelPath!, options.TokenizerPath);
        if (stepDelay is { } d) host = new SlowModelHost(host, d);
        return TokenFlowServer.StartAsync(options, host);
    }
}

/// <summary>The real model with a sleep before each iteration: streams last long enough to disconnect, overload or watch them.</summary>
internal sealed class SlowModelHost(IModelHost inner, TimeSpan delay) : IModelHost
{
    public string Name => inner.Name;
    public int ContextLength => inner.ContextLength;
    public ITextTokenizer Tokenizer => inner.Tokenizer;
    public string? ChatTemplate => inner.ChatTemplate;
    public long KvBytesPerToken => inner.KvBytesPerToken;
    public bool IsSynthetic => inner.IsSynthetic;
    public IReadOnlySet<int> StopTokenIds => inner.StopTokenIds;

    public ModelExecutor CreateExecutor(int deviceBlocks, int hostBlocks, int blockSize, int? threads)
    {
        var e = inner.CreateExecutor(deviceBlocks, hostBlocks, blockSize, threads);
        return e with { Executor = new SlowExecutor(e.Executor, delay) };
    }

    public void Dispose() => inner.Dispose();

    private sealed class SlowExecutor(IExecutor inner, TimeSpan delay) : IExecutor
    {
        public long KvBytesPerBlock => inner.KvBytesPerBlock;
        public int? EosTokenId => inner.EosTokenId;
        public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
        {
            Thread.Sleep(delay);
            inner.Execute(batch, sampled);
        }
    }
}
