using System.CommandLine;
using TokenFlow.Router;
using TokenFlow.Server;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow cluster</c>: N replicas on local ports and a router in front, in one process; Ctrl+C stops all.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var s = new ServerOptions();
        var replicas = new Option<int>("--replicas") { Description = "Number of replicas.", DefaultValueFactory = _ => 2 };
        var model = new Option<string?>("--model") { Description = "Model file (as for serve)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer file for a llama2.c .bin." };
        var host = new Option<string>("--host") { Description = "Address for the router and the replicas.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Router port.", DefaultValueFactory = _ => 8080 };
        var basePort = new Option<int>("--base-port") { Description = "First replica port (then +1, +2 ...; 0 picks free ports).", DefaultValueFactory = _ => 0 };
        var policy = new Option<string>("--scheduler") { Description = "Replica scheduling policy: fcfs, andes or tokenflow.", DefaultValueFactory = _ => s.Policy };
        var device = new Option<int?>("--device-kv-blocks") { Description = "Device KV blocks per replica." };
        var hostBlocks = new Option<int?>("--host-kv-blocks") { Description = "Host KV blocks per replica." };
        var maxSeqs = new Option<int>("--max-num-seqs") { Description = "Most sequences per iteration.", DefaultValueFactory = _ => s.MaxNumSeqs };
        var threads = new Option<int?>("--threads") { Description = "Compute threads per replica." };
        var rate = new Option<double>("--default-consumption-rate") { Description = "Tokens/s for clients that declare none.", DefaultValueFactory = _ => s.DefaultConsumptionRate };
        var apiKey = new Option<string?>("--api-key") { Description = "Key required by the router and every replica." };
        var queued = new Option<int>("--max-num-queued-reqs") { Description = "Waiting requests per replica beyond which it answers 429.", DefaultValueFactory = _ => s.MaxNumQueuedReqs };
        var routing = new RouterOptionSet("--router-policy");
        var cmd = new Command("cluster", "Start N replicas on local ports and a router in front of them (demos and tests on one machine).");
        foreach (var o in new Option[] { replicas, model, tokenizer, host, port, basePort, policy, device, hostBlocks, maxSeqs, threads, rate, apiKey, queued }) cmd.Options.Add(o);
        routing.AddTo(cmd);
        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            var n = parse.GetValue(replicas);
            if (n is < 1 or > 64) throw new CliException("--replicas must be 1..64");
            var bp = parse.GetValue(basePort);
            var servers = new List<ServerHandle>();
            try
            {
                for (var i = 0; i < n; i++)
                {
                    var o = s with
                    {
                        ModelPath = parse.GetValue(model), TokenizerPath = parse.GetValue(tokenizer), Host = parse.GetValue(host)!, Port = bp == 0 ? 0 : bp + i,
                        Policy = parse.GetValue(policy)!, DeviceKvBlocks = parse.GetValue(device), HostKvBlocks = parse.GetValue(hostBlocks), MaxNumSeqs = parse.GetValue(maxSeqs),
                        Threads = parse.GetValue(threads), DefaultConsumptionRate = parse.GetValue(rate), ApiKey = parse.GetValue(apiKey), MaxNumQueuedReqs = parse.GetValue(queued),
                    };
                    TokenFlowServer.Validate(o);
                    servers.Add(await TokenFlowServer.StartAsync(o, ct: ct));
                    Console.WriteLine($"replica {i}: {servers[^1].Url}");
                }
                var options = routing.Read(parse, new RouterOptions
                {
                    Replicas = [.. servers.Select(x => x.Url)], Host = parse.GetValue(host)!, Port = parse.GetValue(port), ApiKey = parse.GetValue(apiKey),
                    DefaultConsumptionRate = parse.GetValue(rate),
                });
                RouterServer.Validate(options);
                await using var router = await RouterCommand.StartAsync(options, ct);
                Console.WriteLine($"tokenflow cluster: {n} replicas behind {router.Url} (policy {options.Policy}; dashboard {router.Url}/); Ctrl+C stops all");
                try { await router.WaitForShutdownAsync(ct); }
                catch (OperationCanceledException) { }
            }
            finally
            {
                foreach (var x in servers) await x.DisposeAsync();
            }
            return 0;
        }));
        return cmd;
    }
}
