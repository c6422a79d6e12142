namespace TokenFlow.Server;

/// <summary>Everything <c>tokenflow serve</c> can set; also the library API's configuration.</summary>
public sealed record ServerOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8000;
    /// <summary>Model file (.bin llama2.c or .gguf). Null: TOKENFLOW_MODEL, then ../shared/models/stories260K, then synthetic.</summary>
    public string? ModelPath { get; init; }
    /// <summary>Tokenizer replacing the model's: a Hugging Face tokenizer.json, a vocabulary GGUF, or a llama2.c tokenizer.bin.</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>Jinja chat template file overriding the one in the model's metadata.</summary>
    public string? ChatTemplatePath { get; init; }
    /// <summary>Name served on /v1/models; defaults to the model's own name.</summary>
    public string? ServedModelName { get; init; }
    public string Policy { get; init; } = "tokenflow";
    /// <summary>Constants of the policies (design §4).</summary>
    public TokenFlow.Core.Scheduling.SchedulerOptions Scheduler { get; init; } = new();
    /// <summary>Device KV blocks; null sizes the pool to about 256 MiB.</summary>
    public int? DeviceKvBlocks { get; init; }
    /// <summary>Host KV blocks; null is four times the device pool.</summary>
    public int? HostKvBlocks { get; init; }
    public int BlockSize { get; init; } = 16;
    public int MaxNumSeqs { get; init; } = 256;
    public int MaxBatchedTokens { get; init; } = 8192;
    public bool ChunkedPrefill { get; init; }
    /// <summary>Tokens/s assumed for a client that declares none (design §2).</summary>
    public double DefaultConsumptionRate { get; init; } = 10;
    public string? ApiKey { get; init; }
    /// <summary>Requests without a first token beyond which new ones get 429.</summary>
    public int MaxNumQueuedReqs { get; init; } = 1024;
    /// <summary>A request still waiting after this long gets 503 and is removed; null waits forever.</summary>
    public TimeSpan? QueueTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Seconds of estimated queueing delay beyond which a newcomer gets 429 with Retry-After; null admits all.</summary>
    public double? MaxQueueDelay { get; init; }
    /// <summary>Largest request body in bytes (413 above).</summary>
    public long MaxBodyBytes { get; init; } = 4 << 20;
    /// <summary>Compute threads for the CPU executor; null lets it decide.</summary>
    public int? Threads { get; init; }
    /// <summary>Caps host↔device copies (bytes/s) to emulate PCIe; null copies at memory speed.</summary>
    public double? TransferBandwidth { get; init; }
    /// <summary>Seconds between dashboard pushes.</summary>
    public double DashboardInterval { get; init; } = 0.25;
    /// <summary>Streams listed on the dashboard (least slack first); the rest are counted.</summary>
    public int DashboardMaxStreams { get; init; } = 50;
    /// <summary>Log each request at Information level (off by default: it costs time under load).</summary>
    public bool LogRequests { get; init; }
    /// <summary>On SIGTERM/Ctrl+C, how long open streams may run to their end before the rest are aborted.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Minimum level of the built-in console log (TokenFlow's own categories; ASP.NET's stay at Warning unless this is lower than Information).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;
    /// <summary>Console log format: "text" (one line each) or "json" (one JSON object per line).</summary>
    public string LogFormat { get; init; } = "text";
    /// <summary>Seconds between stats lines while busy (vLLM's periodic "Avg prompt throughput" line); 0 = none.</summary>
    public double StatsInterval { get; init; } = 10;
    /// <summary>Origins allowed by CORS (vLLM's --allowed-origins); "*" allows any; empty = no CORS headers.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    /// <summary>Serve at most this context length (vLLM's --max-model-len); null = the model's.</summary>
    public int? MaxModelLen { get; init; }
    /// <summary>Seed for requests that give none (vLLM's --seed); null draws a random one per request.</summary>
    public long? Seed { get; init; }
}
