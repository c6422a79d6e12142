using System.CommandLine;
using TokenFlow.Cli.Commands;

var root = new RootCommand("TokenFlow: a buffer-aware LLM text-streaming server, its CPU engine, simulator and bench.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(RouterCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Bad command lines get one line per problem and exit code 2, like every other input error.
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
    if (args.Length > 0 && CommandSuggestion.Closest(args[0], root.Subcommands.Select(c => c.Name)) is { } near)
        Console.Error.WriteLine($"Did you mean '{near}'?");
    Console.Error.WriteLine("Run 'tokenflow --help' for usage.");
    return 2;
}
// serve drains its streams on SIGTERM/Ctrl+C through the web host's lifetime, for as long as
// --shutdown-timeout allows; every other command takes the cancellation System.CommandLine gives.
var serving = parsed.CommandResult.Command.Name == "serve";
return await parsed.InvokeAsync(serving ? new InvocationConfiguration { ProcessTerminationTimeout = null } : null);
