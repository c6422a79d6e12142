using System.CommandLine;

namespace TokenFlow.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "(not yet available)");
        cmd.SetAction(_ => { Console.Error.WriteLine("tokenflow bench: not yet available"); return 2; });
        return cmd;
    }
}
