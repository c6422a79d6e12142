using System.CommandLine;
using TokenFlow.Router;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow router</c>: a YARP reverse proxy over TokenFlow replicas (docs/router.md).</summary>
internal static class RouterCommand
{
    public static Command Create()
    {
        var d = new RouterOptions();
        var replica = new Option<string[]>("--replica") { Description = "Replica base URL (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string?>("--replicas-file") { Description = "File with one replica URL a line (# comments)." };
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => d.Host };
        var port = new Option<int>("--port") { Description = "Port to bind.", DefaultValueFactory = _ => d.Port };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1/* (forwarded to the replicas)." };
        var routing = new RouterOptionSet("--policy");
        var cmd = new Command("router", "Route OpenAI requests over several TokenFlow replicas (round-robin, least-requests or buffer-aware).");
        foreach (var o in new Option[] { replica, file, host, port, apiKey }) cmd.Options.Add(o);
        routing.AddTo(cmd);
        cmd.SetAction((parse, ct) => CliErrors.Guard(async () =>
        {
            var urls = new List<string>(parse.GetValue(replica) ?? []);
            if (parse.GetValue(file) is { } f)
            {
                if (!File.Exists(f)) throw new CliException($"--replicas-file: {f} not found");
                urls.AddRange(File.ReadAllLines(f).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
            }
            var options = routing.Read(parse, d with { Replicas = urls, Host = parse.GetValue(host)!, Port = parse.GetValue(port), ApiKey = parse.GetValue(apiKey) });
            RouterServer.Validate(options);
            await using var router = await StartAsync(options, ct);
            Console.WriteLine($"tokenflow router: {options.Replicas.Count} replicas, policy {options.Policy}; listening on {router.Url} (dashboard {router.Url}/, metrics {router.Url}/metrics); Ctrl+C stops");
            try { await router.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { }
            return 0;
        }));
        return cmd;
    }

    public static async Task<RouterHandle> StartAsync(RouterOptions options, CancellationToken ct)
    {
        try { return await RouterServer.StartAsync(options, ct: ct); }
        catch (IOException e) { throw new CliException($"cannot bind {options.Host}:{options.Port}: {e.Message}"); }
    }
}
