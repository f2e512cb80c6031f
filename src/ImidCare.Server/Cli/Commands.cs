using System.CommandLine;
using ImidCare.Rules.Programs;
using ImidCare.Server.Hosting;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Cli;

/// <summary>
/// `imidcare`: serve (the default), seed, audit verify, programs show. Storage options map onto
/// the same configuration keys the server reads, so the CLI and the server always agree.
/// </summary>
public static class Commands
{
    private static readonly string[] HelpAndVersion = ["-h", "--help", "-?", "--version"];

    public static int Run(string[] args)
    {
        var provider = new Option<string>("--provider") { Description = "Storage: sqlite (default) or postgres.", DefaultValueFactory = _ => "sqlite" };
        var connection = new Option<string?>("--connection") { Description = "Connection string (default: Data Source=imidcare.db)." };
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var noDemo = new Option<bool>("--no-demo") { Description = "Do not seed demo data into an empty database." };

        var serve = new Command("serve", "Run the ImidCare server.") { provider, connection, urls, noDemo };
        serve.SetAction(r => Serve([.. HostArgs(r.GetValue(provider)!, r.GetValue(connection), r.GetValue(urls)!), $"--ImidCare:Demo={!r.GetValue(noDemo)}"], !r.GetValue(noDemo)));

        var seed = new Command("seed", "Create the schema and the demo data (only into an empty database).") { provider, connection };
        seed.SetAction(async (r, ct) =>
        {
            await using var services = Open(r.GetValue(provider)!, r.GetValue(connection));
            await ServerApp.PrepareAsync(services, demo: true, ct);
            Console.WriteLine("Schema migrated; demo data present.");
            return 0;
        });

        var verify = new Command("verify", "Recompute the audit hash chain; exit 1 and name the first broken record if it does not hold.") { provider, connection };
        verify.SetAction(async (r, ct) =>
        {
            await using var services = Open(r.GetValue(provider)!, r.GetValue(connection));
            await using var db = await services.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync(ct);
            var result = await AuditChain.VerifyAsync(db, ct);
            if (result.Intact)
            {
                Console.WriteLine($"Audit chain intact: {result.RecordsVerified} records verified.");
                return 0;
            }

            Console.Error.WriteLine($"Audit chain BROKEN at record {result.FirstBrokenSeq}: {result.Problem} ({result.RecordsVerified} records before it verified).");
            return 1;
        });
        var audit = new Command("audit", "The append-only audit trail.") { verify };

        var programId = new Argument<string?>("program") { Description = "LEN, POM, THAL or IPLEDGE; all when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Print the program rule sets: every parameter with its source and evidence tag.") { programId };
        show.SetAction(r =>
        {
            var wanted = r.GetValue(programId);
            var programs = wanted is null ? ProgramCatalog.All : [.. new[] { ProgramCatalog.Find(wanted) }.OfType<ProgramRules>()];
            if (programs.Length == 0)
            {
                Console.Error.WriteLine($"Unknown program '{wanted}'. Known: {string.Join(", ", ProgramCatalog.All.Select(p => p.Id))}.");
                return 2;
            }

            foreach (var p in programs)
            {
                Console.WriteLine($"{p.Id} — {p.Name} (version {p.Version}, effective {p.EffectiveFrom:yyyy-MM-dd}); drugs: {string.Join(", ", p.Drugs)}");
                foreach (var (name, value, source) in p.Parameters())
                {
                    Console.WriteLine($"  {name,-44} {value,-12} {source}");
                }

                Console.WriteLine();
            }

            return 0;
        });
        var programsCommand = new Command("programs", "The REMS program rule sets.") { show };

        var root = new RootCommand("ImidCare: the REMS engine and treatment companion for pomalidomide, lenalidomide and thalidomide.")
        {
            serve, seed, audit, programsCommand,
        };
        foreach (var command in EngineCommands.All())
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(BenchSeed.Command());
        root.Subcommands.Add(StorageProbe.Command());
        foreach (var command in BackupCommands.All())
        {
            root.Subcommands.Add(command);
        }

        // No verb (or only host options such as --urls) means serve: that is what `dotnet run` and the test host do.
        // The verbs are the root's own subcommands, so a new command cannot be forgotten here.
        if (args.Length == 0 || !(root.Subcommands.Any(c => c.Name == args[0]) || HelpAndVersion.Contains(args[0])))
        {
            return Serve(args, demo: true);
        }

        return root.Parse(args).Invoke();
    }

    private static string[] HostArgs(string provider, string? connection, string urls)
    {
        var list = new List<string> { $"--ImidCare:Storage:Provider={provider}", $"--urls={urls}" };
        if (connection is not null)
        {
            list.Add($"--ConnectionStrings:ImidCare={connection}");
        }

        return [.. list];
    }

    /// <summary>The storage the CLI options name, read the way the server reads its configuration.</summary>
    internal static StorageOptions Storage(string provider, string? connection) =>
        ServerApp.Storage(new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(HostArgs(provider, connection, "http://127.0.0.1:0")).Build());

    /// <summary>The server's storage services without the web host, for the CLI's own commands.</summary>
    internal static ServiceProvider Open(string provider, string? connection)
    {
        var services = new ServiceCollection();
        services.AddImidCare(Storage(provider, connection));
        return services.BuildServiceProvider();
    }

    private static int Serve(string[] args, bool demo)
    {
        var app = ServerApp.Build(args);
        demo = demo && ServerApp.Demo(app.Configuration);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = app.Urls.FirstOrDefault() ?? "http://127.0.0.1:5080";
            var storage = app.Services.GetRequiredService<StorageOptions>();
            Console.WriteLine();
            Console.WriteLine($"ImidCare is running at {url}  (storage: {storage.Provider}; API under {url}/api/v1, OpenAPI at {url}/openapi/v1.json)");
            if (demo)
            {
                Console.WriteLine($"Demo logins: open {url}/ in a browser and log in, or POST /api/v1/session with {{\"username\",\"password\"}} and send the token as 'Authorization: Bearer <token>':");
                foreach (var l in DemoSeed.Logins)
                {
                    Console.WriteLine($"  {l.Role,-11} {l.Username,-11} {l.Password,-17} {l.What}");
                }

                Console.WriteLine($"  API keys (header X-Api-Key): pharmacy system '{DemoSeed.PharmacyKey}', prescriber office '{DemoSeed.OfficeKey}'");
            }

            Console.WriteLine();
        });
        app.Run();
        return 0;
    }
}
