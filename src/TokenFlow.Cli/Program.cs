using System.CommandLine;
using TokenFlow.Cli.Commands;

var root = new RootCommand("TokenFlow: a buffer-aware LLM text-streaming server, its CPU engine, simulator and bench.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync();
