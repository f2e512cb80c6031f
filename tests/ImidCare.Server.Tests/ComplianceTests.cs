using ImidCare.Server.Tests.Support;
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
}

public sealed class SqliteComplianceTests(SqliteApp app) : ComplianceTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresComplianceTests(PostgresApp app) : ComplianceTests(app), IClassFixture<PostgresApp>;
