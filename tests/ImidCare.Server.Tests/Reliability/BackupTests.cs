using System.Net.Http.Json;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Npgsql;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>A consistent backup of a running, writing system, restored into a new database that verifies and serves.</summary>
public sealed class BackupTests
{
    [Fact]
    public async Task Sqlite_BackupWhileDispensing_RestoresIntact()
    {
        using var folder = TempFolder.Create("imidcare-backup-test-");
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Sqlite);
        var cs = database.Options.ConnectionString;
        var numbers = await ServerProcess.SeedForLoadAsync(database.Options, 200);
        var backup = folder.File("backup.db");

        await using (var server = await ServerProcess.StartAsync("sqlite", cs))
        {
            using var http = server.Client(DemoSeed.PharmacyKey);
            var load = Task.Run(async () =>
            {
                foreach (var a in numbers)
                {
                    var c = await http.PostAsync($"/api/v1/authorizations/{a}/confirmations", null);
                    var conf = (await c.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("number").GetString();
                    await http.PostAsJsonAsync($"/api/v1/confirmations/{conf}/dispense", new { ndc = "59572-0410-28", quantity = 28, daysSupply = 28, checklist = Scenario.FullChecklist });
                }
            });
            await Task.Delay(500);
            var made = await ServerProcess.RunAsync("backup", "--connection", cs, "--out", backup);
            made.Exit.ShouldBe(0, made.Output);
            await load;
        }

        var restoredPath = folder.File("restored.db");
        var restored = await ServerProcess.RunAsync("restore", "--connection", $"Data Source={restoredPath}", "--from", backup);
        restored.Exit.ShouldBe(0, restored.Output);
        restored.Output.ShouldContain("audit chain intact");

        // A second restore never overwrites.
        (await ServerProcess.RunAsync("restore", "--connection", $"Data Source={restoredPath}", "--from", backup)).Exit.ShouldBe(2);

        await using var again = await ServerProcess.StartAsync("sqlite", $"Data Source={restoredPath}");
        using var admin = new HttpClient { BaseAddress = again.BaseAddress };
        var login = await admin.PostAsJsonAsync("/api/v1/session", new { username = "admin", password = "demo-admin-2026" });
        admin.DefaultRequestHeaders.Authorization = new("Bearer", (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString());
        var verify = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/audit/verify");
        verify.GetProperty("intact").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Postgres_BackupAndRestore_VerifiesTheChain()
    {
        using var folder = TempFolder.Create("imidcare-backup-test-");
        await using var source = await TestDatabase.CreateAsync(StorageProvider.Postgres);
        await using var target = await TestDatabase.CreateAsync(StorageProvider.Postgres);
        (await ServerProcess.RunAsync("seed", "--provider", "postgres", "--connection", source.Options.ConnectionString)).Exit.ShouldBe(0);
        var file = folder.File("backup.dump");
        var made = await ServerProcess.RunAsync("backup", "--provider", "postgres", "--connection", source.Options.ConnectionString, "--out", file);
        made.Exit.ShouldBe(0, made.Output);
        var restored = await ServerProcess.RunAsync("restore", "--provider", "postgres", "--connection", target.Options.ConnectionString, "--from", file);
        restored.Exit.ShouldBe(0, restored.Output);
        restored.Output.ShouldContain("audit chain intact");
        await using var conn = new NpgsqlConnection(target.Options.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from users", conn);
        ((long)(await cmd.ExecuteScalarAsync())!).ShouldBeGreaterThan(5);
    }
}
