using System.CommandLine;

namespace TokenFlow.Cli.Commands;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var cmd = new Command("simulate", "(not yet available)");
        cmd.SetAction(_ => { Console.Error.WriteLine("tokenflow simulate: not yet available"); return 2; });
        return cmd;
    }
}
