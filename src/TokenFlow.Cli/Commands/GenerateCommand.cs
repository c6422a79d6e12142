using System.CommandLine;

namespace TokenFlow.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create()
    {
        var cmd = new Command("generate", "(not yet available)");
        cmd.SetAction(_ => { Console.Error.WriteLine("tokenflow generate: not yet available"); return 2; });
        return cmd;
    }
}
