using System.CommandLine;

namespace TokenFlow.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var cmd = new Command("serve", "(not yet available)");
        cmd.SetAction(_ => { Console.Error.WriteLine("tokenflow serve: not yet available"); return 2; });
        return cmd;
    }
}
