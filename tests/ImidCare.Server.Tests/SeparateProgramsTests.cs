using ImidCare.Server.Tests.Support;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The three REMS are separate programs with separate records: the early-refill rule (a later fill
/// only when at most 7 days of therapy remain) and the first fill are counted within the program
/// being decided. A patient moved from lenalidomide to pomalidomide at relapse, days into a 28-day
/// lenalidomide fill, is on a first pomalidomide fill; a second lenalidomide fill is still early.
/// </summary>
public abstract class SeparateProgramsTests(ImidCareApp app)
{
    [Fact]
    public async Task ASwitchFromLenalidomide_IsAFirstPomalidomideFill_NotAnEarlyRefill()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = app.Pharmacy();
        string id;
        using (var park = await app.ParkAsync())
        {
            // His pomalidomide survey is on file: the prescription is issued whichever fill it is
            // counted from, and what is decided below is the pharmacy's.
            id = await Scenario.InTwoProgramsAsync(app, park, "Switch Sam", first: "POM", second: "LEN");
            await Scenario.FilledAsync(park, pharmacy, id, "lenalidomide");
        }

        // Five days into the 28-day lenalidomide fill (23 days of it left), the prescriber moves him to pomalidomide.
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(5);
        try
        {
            using var park = await app.ParkAsync();
            var number = await Scenario.AuthorizedAsync(park, id, "pomalidomide");

            var status = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
            status.Code.ShouldBe(200, status.ToString());
            var would = status.Body.GetProperty("wouldConfirm");
            would.GetProperty("outcome").GetString().ShouldBe("allowed", status.ToString());
            Scenario.ReasonCodes(would).ShouldContain("REMS.FIRST_FILL");

            var confirmed = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
            confirmed.Code.ShouldBe(201, confirmed.ToString());
            Scenario.ReasonCodes(confirmed.Body.GetProperty("decision")).ShouldContain("REMS.FIRST_FILL");
            Scenario.ReasonCodes(confirmed.Body.GetProperty("decision")).ShouldNotContain("REMS.TOO_EARLY_TO_FILL");
        }
        finally
        {
            app.Clock.Now = ImidCareApp.Start;
        }
    }

    [Fact]
    public async Task ASecondLenalidomideFill_IsEarly_CountedFromTheLenalidomideFill_NotFromANewerPomalidomideOne()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = app.Pharmacy();
        string id;
        try
        {
            using (var park = await app.ParkAsync())
            {
                // His lenalidomide survey is on file: the second lenalidomide prescription needs it.
                id = await Scenario.InTwoProgramsAsync(app, park, "Early Eli", first: "LEN", second: "POM");
                await Scenario.FilledAsync(park, pharmacy, id, "lenalidomide");
            }

            // Two days later a 7-day pomalidomide fill, his first there: it ends on day 9.
            app.Clock.Now = ImidCareApp.Start + Duration.FromDays(2);
            using (var park = await app.ParkAsync())
            {
                await Scenario.FilledAsync(park, pharmacy, id, "pomalidomide", days: 7);
            }

            // Day 9: nothing remains of the pomalidomide fill, 19 days of the lenalidomide one.
            app.Clock.Now = ImidCareApp.Start + Duration.FromDays(9);
            using var parkLater = await app.ParkAsync();
            var number = await Scenario.AuthorizedAsync(parkLater, id, "lenalidomide");

            var status = await pharmacy.GetJsonAsync($"/api/v1/authorizations/{number}");
            var would = status.Body.GetProperty("wouldConfirm");
            would.GetProperty("outcome").GetString().ShouldBe("denied", status.ToString());
            Scenario.ReasonCodes(would).ShouldContain("REMS.TOO_EARLY_TO_FILL");

            var refused = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
            refused.Code.ShouldBe(422, refused.ToString());
            refused.Codes.ShouldBe(["REMS.TOO_EARLY_TO_FILL"]);
            refused.Str("detail").ShouldContain("19 days of therapy remain");
        }
        finally
        {
            app.Clock.Now = ImidCareApp.Start;
        }
    }
}

public sealed class SqliteSeparateProgramsTests(SqliteApp app) : SeparateProgramsTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresSeparateProgramsTests(PostgresApp app) : SeparateProgramsTests(app), IClassFixture<PostgresApp>;
