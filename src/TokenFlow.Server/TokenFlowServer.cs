using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Scheduling;
using TokenFlow.Server.Api;
using TokenFlow.Server.Dashboard;
using TokenFlow.Server.Logging;
using TokenFlow.Server.Engine;
using TokenFlow.Server.Load;
using TokenFlow.Server.Metrics;
using TokenFlow.Server.Model;

namespace TokenFlow.Server;

/// <summary>
/// The library entry point: <c>await using var server = await TokenFlowServer.StartAsync(options);</c>
/// then talk OpenAI to <c>server.ApiBase</c>. Each call builds its own engine, metrics registry and
/// Kestrel host, so several servers can live in one process.
/// </summary>
public static class TokenFlowServer
{
    /// <summary>Device pool size when none is given: about this many bytes of KV.</summary>
    public const long DefaultDeviceKvBytes = 256L << 20;

    /// <summary>Loads the model chosen by the options (see <see cref="ModelLocator"/>) and starts serving.</summary>
    public static Task<ServerHandle> StartAsync(ServerOptions options, ILoggerFactory? loggers = null, CancellationToken ct = default) =>
        StartAsync(options, LoadModel(options, loggers?.CreateLogger("TokenFlow.Server")), loggers, ct);

    /// <summary>Starts serving an already loaded model; the handle owns and disposes it.</summary>
    public static async Task<ServerHandle> StartAsync(ServerOptions options, IModelHost model, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        Validate(options);
        if (options.MaxModelLen is { } len)
        {
            if (len > model.ContextLength) { model.Dispose(); throw new ArgumentException($"--max-model-len {len} exceeds the model's context length {model.ContextLength}"); }
            model = new ContextCappedModelHost(model, len);
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = typeof(TokenFlowServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (loggers is not null) builder.Services.AddSingleton(loggers);
        else ServerLogging.Configure(builder.Logging, options);
        builder.WebHost.UseKestrel(k => KestrelBinding.Apply(k, options.Host, options.Port, options.MaxBodyBytes));

        var app = builder.Build();
        var factory = app.Services.GetRequiredService<ILoggerFactory>();
        var log = factory.CreateLogger("TokenFlow.Server");
        ServerState state;
        try { state = CreateState(options, model, log, factory.CreateLogger(ServerLogging.RequestCategory)); }
        catch { model.Dispose(); await app.DisposeAsync(); throw; } // e.g. an unusable chat template: nothing is left running
        state.Runner.Start();

        app.Use((http, next) => HttpMetrics.Middleware(http, next, state));
        if (options.AllowedOrigins.Count > 0) app.Use((http, next) => Cors.Middleware(http, next, options.AllowedOrigins));
        app.Use((http, next) => ErrorHandling.Middleware(http, next, log));
        app.Use(ErrorHandling.ApiKey(options.ApiKey));
        app.MapPost("/v1/completions", (HttpContext http) => GenerationHandler.HandleAsync(http, state, chat: false));
        app.MapPost("/v1/chat/completions", (HttpContext http) => GenerationHandler.HandleAsync(http, state, chat: true));
        InfoEndpoints.Map(app, state);
        MetricsEndpoint.Map(app, state);
        LoadEndpoint.Map(app, state);
        DashboardEndpoints.Map(app, state);
        string[] postOnly = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"];
        app.MapFallback((HttpContext http) => throw (postOnly.Contains(http.Request.Path.Value?.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)
            ? new ApiException(405, $"Method {http.Request.Method} is not allowed on {http.Request.Path}; use POST.", "invalid_request_error", null, "method_not_allowed")
            : new ApiException(404, $"Not found: {http.Request.Method} {http.Request.Path}", "invalid_request_error", null, "not_found")));

        try { await app.StartAsync(ct); }
        catch
        {
            state.Runner.Dispose();
            model.Dispose();
            await app.DisposeAsync();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var url = (addresses?.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}").TrimEnd('/');
        url = url.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost");
        var kv = state.Runner.Engine.Kv;
        log.LogInformation("serving {Model} on {Url}: policy {Policy}, KV {Device} device + {Host} host blocks of {BlockSize} tokens, context {Context}",
            state.ModelName, url, options.Policy, kv.Device.Total, kv.Host.Total, kv.BlockSize, model.ContextLength);
        var stats = options.StatsInterval > 0 ? new StatsLogger(state, factory.CreateLogger(ServerLogging.StatsCategory), TimeSpan.FromSeconds(options.StatsInterval)) : null;
        return new ServerHandle(app, state, url, stats);
    }

    /// <summary>Loads --model / TOKENFLOW_MODEL / stories260K, or the synthetic model with a warning.</summary>
    public static IModelHost LoadModel(ServerOptions options, ILogger? log = null)
    {
        var choice = ModelLocator.Resolve(options.ModelPath, options.TokenizerPath);
        if (choice is null)
        {
            var warning = "warning: no model given (--model, TOKENFLOW_MODEL) and ../shared/models/stories260K not found; serving the built-in SYNTHETIC model: its text is meaningless.";
            if (log is not null) log.LogWarning("{Warning}", warning); else Console.Error.WriteLine(warning);
            return LoadedModelHost.Synthetic();
        }
        return LoadedModelHost.Load(choice.ModelPath, choice.TokenizerPath);
    }

    internal static ServerState CreateState(ServerOptions options, IModelHost model, ILogger log, ILogger? requestLog = null)
    {
        var chat = ChatTemplateSelection.Builder(options, model, log); // before any KV arena is allocated
        var blockBytes = Math.Max(1, model.KvBytesPerToken * options.BlockSize);
        var device = options.DeviceKvBlocks ?? (int)Math.Clamp(DefaultDeviceKvBytes / blockBytes, 64, 65536);
        var host = options.HostKvBlocks ?? device * 4;
        var executor = model.CreateExecutor(device, host, options.BlockSize, options.Threads);
        var engineOptions = EngineOptionsFor(options, device, host);
        var name = options.ServedModelName ?? model.Name;
        var metrics = new ServerMetrics(name, model.ContextLength, options.MaxBatchedTokens);
        metrics.SetCacheConfig(options.BlockSize, device, host, options.Policy);
        var history = new DashboardHistory();
        var runner = new EngineRunner(engineOptions, executor, SchedulerFactory.Create(options.Policy, options.Scheduler), options.TransferBandwidth, new RunnerListeners(metrics, history), log);
        metrics.Attach(() => runner.Engine.Snapshot);
        var special = new HashSet<int> { model.Tokenizer.BosId, model.Tokenizer.EosId };
        if (executor.Executor.EosTokenId is { } eos) special.Add(eos);
        special.UnionWith(model.StopTokenIds);
        special.RemoveWhere(t => t < 0);
        var names = new HashSet<string>(StringComparer.Ordinal) { name, model.Name };
        return new ServerState
        {
            Options = options,
            Model = model,
            ModelName = name,
            Runner = runner,
            Parser = new RequestParser(model, options, chat, names),
            Metrics = metrics,
            History = history,
            Log = log,
            SpecialTokens = [.. special],
            EosTokenId = executor.Executor.EosTokenId,
            RequestLog = requestLog ?? log,
        };
    }

    /// <summary>The engine limits and KV tiers a server with <paramref name="options"/> runs with.</summary>
    public static EngineOptions EngineOptionsFor(ServerOptions options, int deviceBlocks, int hostBlocks) => new()
    {
        MaxNumSeqs = options.MaxNumSeqs,
        MaxBatchedTokens = options.MaxBatchedTokens,
        ChunkedPrefill = options.ChunkedPrefill,
        Kv = new KvCacheOptions { BlockSize = options.BlockSize, DeviceBlocks = deviceBlocks, HostBlocks = hostBlocks },
    };

    /// <summary>Rejects impossible settings with a one-line message (the CLI prints it and exits 2).</summary>
    public static void Validate(ServerOptions o)
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(o.Port is >= 0 and <= 65535, $"--port must be 0..65535, got {o.Port}");
        Check(SchedulerFactory.Names.Contains(o.Policy.ToLowerInvariant()), $"--policy must be one of {string.Join(", ", SchedulerFactory.Names)}, got '{o.Policy}'");
        Check(o.DeviceKvBlocks is null or > 0, "--device-kv-blocks must be positive");
        Check(o.HostKvBlocks is null or >= 0, "--host-kv-blocks must not be negative");
        Check(o.BlockSize > 0, "--block-size must be positive");
        Check(o.MaxNumSeqs > 0, "--max-num-seqs must be positive");
        Check(o.MaxBatchedTokens > 0, "--max-batched-tokens must be positive");
        Check(double.IsFinite(o.DefaultConsumptionRate) && o.DefaultConsumptionRate >= RequestParser.MinRate && o.DefaultConsumptionRate <= RequestParser.MaxRate,
            $"--default-consumption-rate must be a number of tokens/s in [{RequestParser.MinRate}, {RequestParser.MaxRate:0e0}]");
        Check(o.MaxNumQueuedReqs >= 0, "--max-num-queued-reqs must not be negative");
        Check(o.QueueTimeout is null || o.QueueTimeout > TimeSpan.Zero, "--queue-timeout must be positive");
        Check(o.MaxQueueDelay is null || (o.MaxQueueDelay > 0 && double.IsFinite(o.MaxQueueDelay.Value)), "--max-queue-delay must be a positive number of seconds");
        Check(o.MaxBodyBytes > 0, "the body limit must be positive");
        Check(o.Threads is null or > 0, "--threads must be positive");
        Check(o.TransferBandwidth is null or > 0, "--transfer-bandwidth must be positive");
        Check(o.ShutdownTimeout >= TimeSpan.Zero, "--shutdown-timeout must not be negative");
        Check(o.ApiKey is null || o.ApiKey.Length > 0, "--api-key must not be empty");
        Check(o.MaxModelLen is null or > 1, "--max-model-len must be at least 2");
        Check(o.LogFormat is "text" or "json", $"--log-format must be text or json, got '{o.LogFormat}'");
        Check(double.IsFinite(o.StatsInterval) && o.StatsInterval >= 0, "the stats interval must be a non-negative number of seconds");
    }
}
