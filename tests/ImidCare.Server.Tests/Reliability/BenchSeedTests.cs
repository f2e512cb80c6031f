using System.Net.Http.Json;
using System.Text.Json;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Reliability;

/// <summary>
/// The load test's data is what it claims to be: with `--refills`, each seeded authorization is
/// dispensed as a refill (the early-fill rule reads an earlier dispense, the month's survey is
/// done, the therapy start stays where the first fill put it), not refused and not a first fill.
/// A benchmark of refusals would measure the wrong path and report it as dispenses.
/// </summary>
public sealed class BenchSeedTests
{
    [Fact]
    public async Task Refills_AreDispensedAsRefills_LeavingTheTherapyStart()
    {
        await using var database = await TestDatabase.CreateAsync(StorageProvider.Sqlite);
        var cs = database.Options.ConnectionString;
        var numbers = await ServerProcess.SeedForLoadAsync(database.Options, 2, "--refills");
        numbers.Length.ShouldBe(2);

        var patient = "pat_bench_0000000";
        NodaTime.LocalDate? therapyStart;
        await using (var db = database.Context())
        {
            therapyStart = (await db.Enrollments.SingleAsync(e => e.PatientId == patient)).TherapyStart;
            therapyStart.ShouldNotBeNull();
            (await db.Dispenses.CountAsync(d => d.PatientId == patient)).ShouldBe(1);
        }

        await using (var server = await ServerProcess.StartAsync("sqlite", cs))
        {
            using var http = server.Client(DemoSeed.PharmacyKey);
            var response = await http.PostAsJsonAsync(
                $"/api/v1/authorizations/{numbers[0]}/dispense", new { ndc = "59572-0410-28", quantity = 28, daysSupply = 28, checklist = Scenario.FullChecklist });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            ((int)response.StatusCode).ShouldBe(201, body.ToString());
            var codes = Scenario.ReasonCodes(body.GetProperty("confirmation").GetProperty("decision"));
            codes.ShouldContain("REMS.REFILL_WINDOW_OPEN");
            codes.ShouldContain("REMS.SURVEY_CURRENT");
        }

        await using (var db = database.Context())
        {
            (await db.Enrollments.SingleAsync(e => e.PatientId == patient)).TherapyStart.ShouldBe(therapyStart);
            (await db.Dispenses.CountAsync(d => d.PatientId == patient)).ShouldBe(2);
            var verify = await AuditChain.VerifyAsync(db);
            verify.Intact.ShouldBeTrue(verify.Problem);
        }
    }
}
