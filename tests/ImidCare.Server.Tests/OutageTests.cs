using ImidCare.Server.Tests.Support;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>A declared outage stops the authorization's clock; pharmacies see why; the extension is exact.</summary>
public abstract class OutageTests(ImidCareApp app)
{
    [Fact]
    public async Task DeclaredOutage_ExtendsTheWindowByItsLength_ToTheTick()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var a1 = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Outage One"));
        var a2 = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Outage Two"));
        var closes = Instant.FromUtc(2026, 11, 24, 5, 0); // midnight in New York after Nov 23, day 7 of the window

        // The program was unreachable for 48 hours inside the window.
        app.Clock.Now = Instant.FromUtc(2026, 11, 20, 12, 0);
        using (var admin = await app.AdminAsync())
        {
            var declared = await admin.PostAsync("/api/v1/outages", new { from = "2026-11-18T00:00:00Z", to = "2026-11-20T00:00:00Z", reason = "REMS portal down" });
            declared.Code.ShouldBe(201, declared.ToString());
            declared.Body.GetProperty("unverified").GetBoolean().ShouldBeTrue();
            (await admin.PostAsync("/api/v1/outages", new { from = "2026-11-20T00:00:00Z", to = "2026-11-18T00:00:00Z", reason = "x" })).ErrorFields.ShouldBe(["to"]);
        }

        using var pharmacy = app.Pharmacy();
        (await pharmacy.GetJsonAsync("/api/v1/outages")).Raw.ShouldContain("REMS portal down");

        // Without the outage this would be a day late; with it, it is inside the extended window.
        app.Clock.Now = closes + Duration.FromHours(48) - Duration.FromTicks(1);
        var late = await pharmacy.PostAsync($"/api/v1/authorizations/{a1}/confirmations");
        late.Code.ShouldBe(201, late.ToString());
        late.Body.GetProperty("decision").GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("code").GetString()).ShouldContain("REMS.WINDOW_EXTENDED_FOR_OUTAGE");

        app.Clock.Now = closes + Duration.FromHours(48);
        var closed = await pharmacy.PostAsync($"/api/v1/authorizations/{a2}/confirmations");
        closed.Code.ShouldBe(422, closed.ToString());
        closed.Codes.ShouldContain("REMS.AUTHORIZATION_EXPIRED");
        app.Clock.Now = ImidCareApp.Start;
    }
}

public sealed class SqliteOutageTests(SqliteApp app) : OutageTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresOutageTests(PostgresApp app) : OutageTests(app), IClassFixture<PostgresApp>;
