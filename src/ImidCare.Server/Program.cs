using ImidCare.Server.Cli;

namespace ImidCare.Server;

public partial class Program
{
    public static int Main(string[] args) => Commands.Run(args);
}
