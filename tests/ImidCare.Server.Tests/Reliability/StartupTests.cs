using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>The first start on an empty database, as the README's run command does it.</summary>
public sealed class StartupTests
{
    /// <summary>
    /// Nothing may read the database before the migration has made it: Data Protection's hosted
    /// service used to load the key ring from a table that did not exist yet, and every first start
    /// logged three errors before the key was made.
    /// </summary>
    [Fact]
    public async Task AFreshDatabase_StartsWithoutLoggedErrors()
    {
        var dir = Directory.CreateTempSubdirectory("imidcare-startup-");
        try
        {
            var cs = $"Data Source={Path.Combine(dir.FullName, "fresh.db")}";
            await using (var server = await ServerProcess.StartAsync("sqlite", cs))
            {
                using var http = new HttpClient { BaseAddress = server.BaseAddress };
                (await http.GetAsync("/login")).IsSuccessStatusCode.ShouldBeTrue();
                server.Output.ShouldNotBeEmpty();
                server.Output.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ShouldBeEmpty();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
