using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>The compliance sweep finds the late test, the overdue survey and the authorization expiring today.</summary>
public abstract class ComplianceTests(ImidCareApp app)
{
    [Fact]
    public async Task Sweep_FindsLateTests_OverdueSurveys_AndTodaysExpiries()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        async Task<ApiResult> SweepAsync()
        {
            // Sessions last 12 hours, and the clock jumps days: log in at each moment.
            using var admin = await app.AdminAsync();
            return await admin.GetJsonAsync("/api/v1/compliance");
        }

        // On therapy since today, tested today: her next test is due in 7 days.
        var late = await Scenario.ReadyFrpAsync(app, park, "Sweep Late");
        var a = await Scenario.AuthorizedAsync(park, late);
        var c = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        (await Scenario.DispenseAsync(pharmacy, c.Str("number"))).Code.ShouldBe(201);

        // Authorized, not yet filled: her window (from the test 2 h ago) ends with Nov 23 in New York.
        var waiting = await Scenario.ReadyFrpAsync(app, park, "Sweep Expiring");
        var expiring = await Scenario.AuthorizedAsync(park, waiting);

        app.Clock.Now = Instant.FromUtc(2026, 11, 23, 17, 0); // Nov 23, noon in New York
        var today = await SweepAsync();
        today.Code.ShouldBe(200, today.ToString());
        today.Body.GetProperty("expiringToday").EnumerateArray().Select(x => x.GetProperty("number").GetString()).ShouldContain(expiring);
        today.Body.GetProperty("lateTests").EnumerateArray().Select(x => x.GetProperty("patientId").GetString()).ShouldNotContain(late);

        app.Clock.Now = Instant.FromUtc(2026, 11, 25, 17, 0); // due Nov 24: a day late
        var later = await SweepAsync();
        var lateRow = later.Body.GetProperty("lateTests").EnumerateArray().Single(x => x.GetProperty("patientId").GetString() == late);
        lateRow.GetProperty("dueOn").GetString().ShouldBe("2026-11-24");

        // John (demo) took his survey two days before the start; a month and more later it is overdue.
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(40);
        var month = await SweepAsync();
        month.Body.GetProperty("overdueSurveys").EnumerateArray().Select(x => x.GetProperty("patientId").GetString()).ShouldContain("pat_demo_john");

        using var parkNow = await app.ParkAsync();
        (await parkNow.GetJsonAsync("/api/v1/compliance")).Code.ShouldBe(403);
        app.Clock.Now = ImidCareApp.Start;
    }

    // A fill is its own program's record, as at the counter: a patient on lenalidomide who is
    // enrolled in the pomalidomide program as well owes no pomalidomide survey before his first
    // pomalidomide prescription; his lenalidomide survey, 40 days old, is overdue.
    [Fact]
    public async Task Sweep_CountsTheSurveysOwed_ProgramByProgram()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = app.Pharmacy();
        string id;
        using (var park = await app.ParkAsync())
        {
            id = await Scenario.InTwoProgramsAsync(app, park, "Sweep Two", first: "LEN", second: "POM");
            await Scenario.FilledAsync(park, pharmacy, id, "lenalidomide");
        }

        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(40);
        try
        {
            using var admin = await app.AdminAsync();
            var sweep = await admin.GetJsonAsync("/api/v1/compliance");
            sweep.Code.ShouldBe(200, sweep.ToString());
            sweep.Body.GetProperty("overdueSurveys").EnumerateArray().Where(x => x.GetProperty("patientId").GetString() == id)
                .Select(x => x.GetProperty("program").GetString()).ShouldBe(["LEN"]);
        }
        finally
        {
            app.Clock.Now = ImidCareApp.Start;
        }
    }

    // facts §4.1: only a negative test of at least 50 mIU/mL sensitivity counts; a later 100 mIU/mL
    // negative test does not make an overdue pregnancy test on time.
    [Fact]
    public async Task Sweep_ANegativeTestNotSensitiveEnough_LeavesTheTestLate()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var id = await Scenario.ReadyFrpAsync(app, park, "Sweep Insensitive");
        var a = await Scenario.AuthorizedAsync(park, id);
        var c = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        (await Scenario.DispenseAsync(pharmacy, c.Str("number"))).Code.ShouldBe(201);

        app.Clock.Now = Instant.FromUtc(2026, 11, 25, 17, 0); // due Nov 24: a day late
        using (var parkThen = await app.ParkAsync())
        {
            await Scenario.RecordTestAsync(parkThen, id, app.Clock.Now - Duration.FromHours(1), sensitivity: 100);
        }

        using var admin = await app.AdminAsync();
        var sweep = await admin.GetJsonAsync("/api/v1/compliance");
        sweep.Code.ShouldBe(200, sweep.ToString());
        sweep.Body.GetProperty("lateTests").EnumerateArray().Select(x => x.GetProperty("patientId").GetString()).ShouldContain(id);
        app.Clock.Now = ImidCareApp.Start;
    }
}

public sealed class SqliteComplianceTests(SqliteApp app) : ComplianceTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresComplianceTests(PostgresApp app) : ComplianceTests(app), IClassFixture<PostgresApp>;

/// <summary>
/// The scale data of `imidcare bench-seed --patients` (docs/benchmarks.md) is real data: loaded on
/// both databases, the sweep finds the states it planted, the counter reads it, the chain holds.
/// </summary>
public abstract class ScaleDataTests(ImidCareApp app)
{
    [Fact]
    public async Task HistorySeed_LoadsAYearPerPatient_ThatTheSweepAndTheCounterRead()
    {
        app.Clock.Now = ImidCareApp.Start;
        var rows = await ImidCare.Server.Cli.HistorySeed.RunAsync(app.Services, 300, app.Clock.Now, CancellationToken.None);
        rows.ShouldBeGreaterThan(300 * 40);

        using var admin = await app.AdminAsync();
        var sweep = await admin.GetJsonAsync("/api/v1/compliance");
        sweep.Code.ShouldBe(200, sweep.ToString());
        sweep.Body.GetProperty("patientsSwept").GetInt32().ShouldBeGreaterThanOrEqualTo(300);

        // Every 50th patient (i % 50 == 25) has an authorization that closes at the end of today.
        var expiring = sweep.Body.GetProperty("expiringToday").EnumerateArray().Select(x => x.GetProperty("patientId").GetString()).ToList();
        foreach (var i in new[] { 25, 75, 125, 175, 225, 275 })
        {
            expiring.ShouldContain($"pat_hist_{i:D7}");
        }

        // Every 10th (i % 10 == 9) skipped its last survey; the sweep names them.
        var overdue = sweep.Body.GetProperty("overdueSurveys").EnumerateArray().Select(x => x.GetProperty("patientId").GetString()).ToList();
        overdue.ShouldContain("pat_hist_0000009");
        overdue.ShouldNotContain("pat_hist_0000008");

        // Its surveys read as the API's own do (the FHIR QuestionnaireResponse shows the outcome).
        await using (var db = await app.DbAsync())
        {
            (await db.Surveys.Where(s => s.PatientId.StartsWith("pat_hist_")).Select(s => s.Outcome).Distinct().ToListAsync()).ShouldBe(["Allowed"]);
        }

        // The pharmacy counter reads a seeded authorization through the one-round-trip facts query.
        using var pharmacy = app.Pharmacy();
        var number = ImidCare.Rules.Rems.RemsNumber.Create('A', 200_000_000 + 25 * 13 + 12).Value;
        var status = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
        status.Code.ShouldBe(200, status.ToString());
        status.Body.GetProperty("state").GetString().ShouldBe("Active");

        var verify = await admin.GetJsonAsync("/api/v1/audit/verify");
        verify.Body.GetProperty("intact").GetBoolean().ShouldBeTrue(verify.ToString());
    }
}

public sealed class SqliteScaleDataTests(SqliteApp app) : ScaleDataTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresScaleDataTests(PostgresApp app) : ScaleDataTests(app), IClassFixture<PostgresApp>;
