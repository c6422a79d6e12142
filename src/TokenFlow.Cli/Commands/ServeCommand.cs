using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TokenFlow.Server;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow serve</c>: the OpenAI-compatible HTTP server (see docs/server.md).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var d = new ServerOptions();
        var model = new Option<string?>("--model") { Description = "Model file (.gguf or llama2.c .bin), or a folder holding one GGUF. Default: $TOKENFLOW_MODEL, else ../shared/models/stories260K, else a synthetic model." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer replacing the model's: tokenizer.json, a vocabulary GGUF, or a llama2.c tokenizer.bin (default: the GGUF's own, or tok{vocab}.bin beside a .bin)." };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "Jinja chat template file overriding the model's tokenizer.chat_template." };
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => d.Host };
        var port = new Option<int>("--port") { Description = "Port to bind (0 picks a free one).", DefaultValueFactory = _ => d.Port };
        var name = new Option<string?>("--served-model-name") { Description = "Model id on the API (default: the model's name)." };
        var policy = new Option<string>("--policy") { Description = "Scheduling policy: fcfs, andes or tokenflow.", DefaultValueFactory = _ => d.Policy };
        var device = new Option<int?>("--device-kv-blocks") { Description = "Device KV blocks (default: about 256 MiB of KV)." };
        var hostBlocks = new Option<int?>("--host-kv-blocks") { Description = "Host KV blocks (default: 4x the device pool)." };
        var blockSize = new Option<int>("--block-size") { Description = "Tokens per KV block.", DefaultValueFactory = _ => d.BlockSize };
        var maxSeqs = new Option<int>("--max-num-seqs") { Description = "Most sequences per iteration.", DefaultValueFactory = _ => d.MaxNumSeqs };
        var maxTokens = new Option<int>("--max-batched-tokens") { Description = "Token budget per iteration.", DefaultValueFactory = _ => d.MaxBatchedTokens };
        var chunked = new Option<bool>("--chunked-prefill") { Description = "Mix prompt chunks into decode iterations (vLLM V1) instead of prefill-first." };
        var rate = new Option<double>("--default-consumption-rate") { Description = "Tokens/s assumed for clients that declare no consumption_rate.", DefaultValueFactory = _ => d.DefaultConsumptionRate };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1/* (default: $TOKENFLOW_API_KEY, else none)." };
        var queued = new Option<int>("--max-num-queued-reqs") { Description = "Waiting requests beyond which new ones get 429.", DefaultValueFactory = _ => d.MaxNumQueuedReqs };
        var maxDelay = new Option<double?>("--max-queue-delay") { Description = "Answer 429 with Retry-After when a newcomer's estimated queueing delay exceeds this many seconds (default: off)." };
        var timeout = new Option<double>("--queue-timeout") { Description = "Seconds a request may wait before it gets 503 (0: forever).", DefaultValueFactory = _ => d.QueueTimeout?.TotalSeconds ?? 0 };
        var threads = new Option<int?>("--threads") { Description = "Compute threads for the CPU executor." };
        var bandwidth = new Option<double?>("--transfer-bandwidth") { Description = "Cap host<->device KV copies at this many bytes/s (emulates PCIe)." };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 above).", DefaultValueFactory = _ => d.MaxBodyBytes };
        var logRequests = new Option<bool>("--log-requests") { Description = "Log one line per finished request." };
        var shutdownTimeout = new Option<double>("--shutdown-timeout") { Description = "On SIGTERM or Ctrl+C, seconds open streams may run to their end before the rest are aborted.", DefaultValueFactory = _ => d.ShutdownTimeout.TotalSeconds };

        var logLevel = new Option<string>("--log-level") { Description = "Console log level: debug, info, warning, error, critical (or trace, none).", DefaultValueFactory = _ => "info" };
        var logFormat = new Option<string>("--log-format") { Description = "Console log format: text or json (one object per line).", DefaultValueFactory = _ => "text" };
        var noStats = new Option<bool>("--disable-log-stats") { Description = "No periodic stats line (vLLM's name)." };
        var seed = new Option<long?>("--seed") { Description = "Seed for requests that give none: a reproducible sequence of per-request seeds (vLLM)." };
        var maxModelLen = new Option<int?>("--max-model-len") { Description = "Context length to serve (at most the model's; vLLM)." };
        var origins = new Option<string[]>("--allowed-origins") { Description = "CORS origins, e.g. '*' or '[\"http://a\",\"http://b\"]' or a comma list (vLLM).", AllowMultipleArgumentsPerToken = true };
        var modelArg = new Argument<string?>("model") { Description = "Model file, as --model (vLLM's positional form).", Arity = ArgumentArity.ZeroOrOne };
        maxTokens.Aliases.Add("--max-num-batched-tokens");
        chunked.Aliases.Add("--enable-chunked-prefill");

        var cmd = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API, with metrics and a live dashboard.");
        foreach (var o in new Option[] { model, tokenizer, chatTemplate, host, port, name, policy, device, hostBlocks, blockSize, maxSeqs, maxTokens, chunked, rate, apiKey, queued, maxDelay, timeout, threads, bandwidth, maxBody, logRequests, shutdownTimeout,
                     logLevel, logFormat, noStats, seed, maxModelLen, origins })
            cmd.Options.Add(o);
        cmd.Arguments.Add(modelArg);
        var policyOptions = new PolicyOptions();
        policyOptions.AddTo(cmd);

        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            var sw = Stopwatch.StartNew();
            var q = parse.GetValue(timeout);
            if (!double.IsFinite(q) || q < 0) throw new CliException("--queue-timeout must be a non-negative number of seconds");
            var positional = parse.GetValue(modelArg);
            var flag = parse.GetValue(model);
            if (positional is not null && flag is not null && positional != flag) throw new CliException($"two models given: '{positional}' and --model '{flag}'");
            var format = parse.GetValue(logFormat)!.ToLowerInvariant();
            if (!Server.Logging.ServerLogging.Formats.Contains(format)) throw new CliException($"--log-format must be text or json, got '{format}'");
            var grace = parse.GetValue(shutdownTimeout);
            if (!double.IsFinite(grace) || grace < 0) throw new CliException("--shutdown-timeout must be a non-negative number of seconds");
            var options = new ServerOptions
            {
                ShutdownTimeout = TimeSpan.FromSeconds(grace),
                ModelPath = positional ?? flag,
                LogLevel = Server.Logging.ServerLogging.ParseLevel(parse.GetValue(logLevel)!),
                LogFormat = format,
                StatsInterval = parse.GetValue(noStats) ? 0 : new ServerOptions().StatsInterval,
                Seed = parse.GetValue(seed),
                MaxModelLen = parse.GetValue(maxModelLen),
                AllowedOrigins = Origins(parse.GetValue(origins)),
                TokenizerPath = parse.GetValue(tokenizer),
                ChatTemplatePath = parse.GetValue(chatTemplate),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ServedModelName = parse.GetValue(name),
                Policy = parse.GetValue(policy)!,
                Scheduler = policyOptions.Read(parse),
                DeviceKvBlocks = parse.GetValue(device),
                HostKvBlocks = parse.GetValue(hostBlocks),
                BlockSize = parse.GetValue(blockSize),
                MaxNumSeqs = parse.GetValue(maxSeqs),
                MaxBatchedTokens = parse.GetValue(maxTokens),
                ChunkedPrefill = parse.GetValue(chunked),
                DefaultConsumptionRate = parse.GetValue(rate),
                ApiKey = parse.GetValue(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable("TOKENFLOW_API_KEY")),
                MaxNumQueuedReqs = parse.GetValue(queued),
                QueueTimeout = q == 0 ? null : TimeSpan.FromSeconds(q),
                MaxQueueDelay = parse.GetValue(maxDelay),
                Threads = parse.GetValue(threads),
                TransferBandwidth = parse.GetValue(bandwidth),
                MaxBodyBytes = parse.GetValue(maxBody),
                LogRequests = parse.GetValue(logRequests),
            };
            TokenFlowServer.Validate(options);
            ServerHandle server;
            try { server = await TokenFlowServer.StartAsync(options, ct: ct); }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"cannot bind {options.Host}:{options.Port}: {(e.Message.Contains("in use", StringComparison.OrdinalIgnoreCase) ? "the port is already in use" : e.Message)}");
            }
            await using (server)
            {
                var s = server.State;
                var kv = s.Runner.Engine.Kv;
                Console.WriteLine($"tokenflow serve: model {s.ModelName} (context {s.Model.ContextLength}{(s.Model.IsSynthetic ? ", SYNTHETIC: meaningless text" : "")}), policy {options.Policy}, " +
                    $"KV {kv.Device.Total} device + {kv.Host.Total} host blocks of {kv.BlockSize} tokens");
                Console.WriteLine($"listening on {server.Url}  (OpenAI base {server.ApiBase}, dashboard {server.Url}/, metrics {server.Url}/metrics)" +
                    $"  started in {sw.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s; Ctrl+C stops");
                // SIGTERM and Ctrl+C reach the host's lifetime (Program.cs leaves them to it); nothing has stopped yet.
                try { await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(ct, server.StopRequested).Token); }
                catch (OperationCanceledException) { }
                Console.WriteLine($"shutdown: draining {s.Runner.LiveCount} open streams for up to {Seconds(options.ShutdownTimeout.TotalSeconds)} s; new requests get 503");
                var report = await server.ShutdownAsync(options.ShutdownTimeout);
                Console.WriteLine($"shutdown complete in {Seconds(report.Seconds)} s: {report.Drained} streams finished, {report.Aborted} aborted; " +
                    $"KV blocks in use: {report.DeviceBlocksInUse} device, {report.HostBlocksInUse} host");
                if (!report.Clean) { Console.Error.WriteLine("error: KV blocks still in use after shutdown"); return 1; }
            }
            return 0;
        }));
        return cmd;
    }

    private static string Seconds(double s) => s.ToString("0.##", CultureInfo.InvariantCulture);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>vLLM passes a JSON list; a comma list or repeated values work too.</summary>
    private static string[] Origins(string[]? values)
    {
        if (values is null) return [];
        var list = new List<string>();
        foreach (var v in values)
        {
            var t = v.Trim();
            if (t.StartsWith('['))
            {
                try { list.AddRange(System.Text.Json.JsonSerializer.Deserialize<string[]>(t) ?? []); }
                catch (System.Text.Json.JsonException e) { throw new CliException($"--allowed-origins: not a JSON list of strings ({e.Message})"); }
            }
            else list.AddRange(t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        return [.. list];
    }
}
