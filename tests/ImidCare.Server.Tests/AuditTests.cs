using ImidCare.Server.Cli;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>The audit chain records every change and detects tampering; `imidcare audit verify` names the first break.</summary>
public abstract class AuditTests(ImidCareApp app)
{
    [Fact]
    public async Task EveryStateChange_IsAudited_AndChainVerifies()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Audit Ann");
        var a = await Scenario.AuthorizedAsync(park, id);
        using var admin = await app.AdminAsync();
        var trail = await admin.GetJsonAsync($"/api/v1/audit?subject=authorization/{a}");
        trail.Body.EnumerateArray().Select(x => x.GetProperty("action").GetString()).ShouldContain("authorization.issued");
        var verify = await admin.GetJsonAsync("/api/v1/audit/verify");
        verify.Body.GetProperty("intact").GetBoolean().ShouldBeTrue(verify.ToString());
        (await park.GetJsonAsync("/api/v1/audit/verify")).Code.ShouldBe(403);
    }

    [Theory]
    [InlineData("alter")]
    [InlineData("delete")]
    [InlineData("reorder")]
    public async Task Tampering_IsDetected_AndNamed(string how)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        await Scenario.ReadyFrpAsync(app, park, "Tamper " + how);
        await using var db = await app.DbAsync();
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        var max = await db.Audit.MaxAsync(r => r.Seq);
        var victim = max - 2;
        var original = await db.Audit.AsNoTracking().SingleAsync(r => r.Seq == victim);
        var next = await db.Audit.AsNoTracking().SingleAsync(r => r.Seq == victim + 1);
        try
        {
            switch (how)
            {
                case "alter":
                    await db.Audit.Where(r => r.Seq == victim).ExecuteUpdateAsync(s => s.SetProperty(r => r.DataJson, "{\"forged\":true}"));
                    break;
                case "delete":
                    await db.Audit.Where(r => r.Seq == victim).ExecuteDeleteAsync();
                    break;
                default:
                    // Swap the contents of two neighbours but keep their sequence numbers.
                    await db.Audit.Where(r => r.Seq == victim).ExecuteUpdateAsync(s => s.SetProperty(r => r.Action, next.Action).SetProperty(r => r.DataJson, next.DataJson).SetProperty(r => r.Subject, next.Subject).SetProperty(r => r.Hash, next.Hash).SetProperty(r => r.PrevHash, next.PrevHash));
                    await db.Audit.Where(r => r.Seq == victim + 1).ExecuteUpdateAsync(s => s.SetProperty(r => r.Action, original.Action).SetProperty(r => r.DataJson, original.DataJson).SetProperty(r => r.Subject, original.Subject).SetProperty(r => r.Hash, original.Hash).SetProperty(r => r.PrevHash, original.PrevHash));
                    break;
            }

            var result = await AuditChain.VerifyAsync(db);
            result.Intact.ShouldBeFalse();
            result.FirstBrokenSeq.ShouldBe(how == "delete" ? victim + 1 : victim);

            // The CLI says the same, with a non-zero exit code.
            var exit = Commands.Run(["audit", "verify", "--provider", app.Storage.Provider.ToString(), "--connection", app.Storage.ConnectionString]);
            exit.ShouldBe(1);
        }
        finally
        {
            // Put the record back so the fixture's other tests see an intact chain.
            if (how == "delete")
            {
                db.Audit.Add(original);
                await db.SaveChangesAsync();
            }
            else
            {
                await db.Audit.Where(r => r.Seq == victim).ExecuteUpdateAsync(s => s.SetProperty(r => r.Action, original.Action).SetProperty(r => r.DataJson, original.DataJson).SetProperty(r => r.Subject, original.Subject).SetProperty(r => r.Hash, original.Hash).SetProperty(r => r.PrevHash, original.PrevHash));
                await db.Audit.Where(r => r.Seq == victim + 1).ExecuteUpdateAsync(s => s.SetProperty(r => r.Action, next.Action).SetProperty(r => r.DataJson, next.DataJson).SetProperty(r => r.Subject, next.Subject).SetProperty(r => r.Hash, next.Hash).SetProperty(r => r.PrevHash, next.PrevHash));
            }
        }

        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
        Commands.Run(["audit", "verify", "--provider", app.Storage.Provider.ToString(), "--connection", app.Storage.ConnectionString]).ShouldBe(0);
    }

    [Fact]
    public async Task OpenApi_DescribesTheApi()
    {
        using var anon = app.Client();
        var doc = await anon.GetJsonAsync("/openapi/v1.json");
        doc.Code.ShouldBe(200);
        var paths = doc.Body.GetProperty("paths");
        paths.TryGetProperty("/api/v1/authorizations", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/v1/confirmations/{number}/dispense", out _).ShouldBeTrue();
    }
}

public sealed class SqliteAuditTests(SqliteApp app) : AuditTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresAuditTests(PostgresApp app) : AuditTests(app), IClassFixture<PostgresApp>;
