using System.CommandLine;

namespace TokenFlow.Cli.Commands;

internal static class ModelCommand
{
    public static Command Create()
    {
        var cmd = new Command("model", "(not yet available)");
        cmd.SetAction(_ => { Console.Error.WriteLine("tokenflow model: not yet available"); return 2; });
        return cmd;
    }
}
