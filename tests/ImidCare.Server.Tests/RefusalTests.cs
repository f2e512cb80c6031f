using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>Every kind of bad input gets a clear 4xx naming the field or the rule, and changes nothing.</summary>
public abstract class RefusalTests(ImidCareApp app)
{
    [Theory]
    [InlineData("{\"npi\":", "body")] // malformed JSON
    [InlineData("{\"npi\":1234567893,\"name\":\"X\",\"practiceId\":\"p\"}", "npi")] // wrong type
    [InlineData("{\"npi\":\"1234567893\",\"name\":\"X\",\"practiceId\":\"p\",\"extra\":true}", "extra")] // unknown field
    [InlineData("{\"npi\":\"1234567890\",\"name\":\"X\",\"practiceId\":\"p\"}", "npi")] // bad check digit
    [InlineData("{\"npi\":\"123456789\",\"name\":\"X\",\"practiceId\":\"p\"}", "npi")] // nine digits
    [InlineData("{\"name\":\"X\",\"practiceId\":\"p\"}", "body")] // missing required field
    [InlineData("{\"npi\":null,\"name\":\"X\",\"practiceId\":\"p\"}", "npi")] // null where required
    public async Task RegisterPrescriber_BadInput_Is400WithTheField(string json, string field)
    {
        using var admin = await app.AdminAsync();
        var r = await admin.PostRawAsync("/api/v1/prescribers", json);
        r.Code.ShouldBe(400, r.ToString());
        r.ContentType.ShouldBe("application/problem+json");
        if (field != "body")
        {
            r.ErrorFields.ShouldContain(field, r.ToString());
        }
        else
        {
            r.ErrorFields.Count.ShouldBe(1, r.ToString());
        }
    }

    [Fact]
    public async Task AWriteWithoutABody_Is400SayingABodyIsRequired()
    {
        using var admin = await app.AdminAsync();
        var r = await admin.PostAsync("/api/v1/prescribers");
        r.Code.ShouldBe(400, r.ToString());
        r.ContentType.ShouldBe("application/problem+json");
        r.ErrorFields.ShouldBe(["body"]);
        r.Str("detail").ShouldBe("body: A JSON body is required.");
    }

    [Theory]
    [InlineData("2026-02-30")] // impossible date
    [InlineData("30/01/1980")] // not ISO
    [InlineData("")]
    public async Task Enroll_ImpossibleDate_Is400OnDateOfBirth(string dob)
    {
        using var park = await app.ParkAsync();
        var json = System.Text.Json.JsonSerializer.Serialize(Scenario.Enrollment("Date Test")).Replace("1988-02-03", dob, StringComparison.Ordinal);
        var r = await park.PostRawAsync("/api/v1/patients", json);
        r.Code.ShouldBe(400, r.ToString());
        r.ErrorFields.ShouldContain("dateOfBirth");
    }

    [Theory]
    [InlineData("pt", "long-enough-pass", "patientLogin.username")]
    [InlineData(" pt-spaced ", "long-enough-pass", "patientLogin.username")]
    [InlineData("pt-short-pass", "", "patientLogin.password")]
    [InlineData("pt-short-pass", "nine-char", "patientLogin.password")]
    public async Task Enroll_PatientLoginBelowTheBar_Is400OnItsField_AndNoPatientIsMade(string username, string password, string field)
    {
        using var park = await app.ParkAsync();
        var r = await park.PostAsync("/api/v1/patients", Scenario.Enrollment("Login Test", login: new { username, password }));
        r.Code.ShouldBe(400, r.ToString());
        r.ErrorFields.ShouldBe([field]);
        await using var db = await app.DbAsync();
        (await db.Users.AnyAsync(u => u.Username == username)).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(29)]
    public async Task Authorize_DaysSupplyOutOfRange_Is422(int days)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, $"Supply {days}");
        var r = await Scenario.AuthorizeAsync(park, id, days: days);
        r.Code.ShouldBe(422, r.ToString());
        r.Codes.ShouldBe(["REMS.DAYS_SUPPLY_OUT_OF_RANGE"]);
        r.Body.GetProperty("decision").GetProperty("reasons")[0].GetProperty("source").GetString()!.ShouldContain("28-day");
    }

    [Fact]
    public async Task AuthorizationNumber_BadCheckDigit_Is400()
    {
        using var pharmacy = app.Pharmacy();
        var good = Rules.Rems.RemsNumber.Create('A', 123_456_789).Value;
        var typo = good[..5] + (good[5] == '9' ? '0' : (char)(good[5] + 1)) + good[6..];
        var r = await pharmacy.PostAsync($"/api/v1/authorizations/{typo}/confirmations");
        r.Code.ShouldBe(400, r.ToString());
        r.ErrorFields.ShouldBe(["number"]);
        (await pharmacy.PostAsync($"/api/v1/authorizations/{good}/confirmations")).Code.ShouldBe(404);
    }

    [Fact]
    public async Task Confirm_DispensedAuthorization_Is409_AndExpiredIs422()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Used Twice"));
        var c = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        (await Scenario.DispenseAsync(pharmacy, c.Str("number"))).Code.ShouldBe(201);
        var again = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        again.Code.ShouldBe(409, again.ToString());
        again.Codes.ShouldContain("REMS.AUTHORIZATION_ALREADY_DISPENSED");

        var b = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Too Late"));
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(8);
        var late = await pharmacy.PostAsync($"/api/v1/authorizations/{b}/confirmations");
        late.Code.ShouldBe(422, late.ToString());
        late.Codes.ShouldContain("REMS.AUTHORIZATION_EXPIRED");
        app.Clock.Now = ImidCareApp.Start;
    }

    [Fact]
    public async Task Dispense_AfterConfirmationExpired_Is422_AndReversalFreesTheAuthorization()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Slow Pickup"));
        var c = (await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");

        app.Clock.Now = ImidCareApp.Start + Duration.FromHours(24);
        var late = await Scenario.DispenseAsync(pharmacy, c);
        late.Code.ShouldBe(422, late.ToString());
        late.Codes.ShouldContain("REMS.CONFIRMATION_EXPIRED");

        var reversed = await pharmacy.PostAsync($"/api/v1/confirmations/{c}/reverse", new { reason = "Not picked up" });
        reversed.Code.ShouldBe(200, reversed.ToString());
        var fresh = await pharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations");
        fresh.Code.ShouldBe(201, fresh.ToString());
        (await Scenario.DispenseAsync(pharmacy, fresh.Str("number"))).Code.ShouldBe(201);
        (await pharmacy.PostAsync($"/api/v1/confirmations/{c}/reverse", new { reason = "again" })).Code.ShouldBe(409);
        app.Clock.Now = ImidCareApp.Start;
    }

    [Fact]
    public async Task AuthorizationWindow_ClosesAtMidnightNewYorkAfterDaySeven()
    {
        // Tests on Nov 6 (12 days before) and Nov 17; the window counts Nov 17 as day 1, so it ends with Nov 23 in New York.
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var a1 = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Edge One"));
        var a2 = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Edge Two"));
        var lastMoment = Instant.FromUtc(2026, 11, 24, 5, 0) - Duration.FromTicks(1); // 23:59:59.9999999 EST on Nov 23

        app.Clock.Now = lastMoment;
        (await pharmacy.PostAsync($"/api/v1/authorizations/{a1}/confirmations")).Code.ShouldBe(201);
        app.Clock.Now = lastMoment + Duration.FromTicks(1);
        var closed = await pharmacy.PostAsync($"/api/v1/authorizations/{a2}/confirmations");
        closed.Codes.ShouldContain("REMS.AUTHORIZATION_EXPIRED");
        app.Clock.Now = ImidCareApp.Start;
    }

    [Fact]
    public async Task Authorize_RefusalListsEverythingMissingAtOnce()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("All Missing"));
        var r = await park.PostAsync("/api/v1/authorizations", new { patientId = id, drug = "pomalidomide", daysSupply = 29, refills = 1, counselingAttested = false });
        r.Code.ShouldBe(422);
        r.Codes.ShouldBe(["REMS.DAYS_SUPPLY_OUT_OF_RANGE", "REMS.REFILLS_NOT_ALLOWED", "REMS.COUNSELING_NOT_ATTESTED", "REMS.FIRST_PRESTART_TEST_MISSING", "REMS.SECOND_PRESTART_TEST_MISSING"], ignoreOrder: true);
    }
}

public sealed class SqliteRefusalTests(SqliteApp app) : RefusalTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresRefusalTests(PostgresApp app) : RefusalTests(app), IClassFixture<PostgresApp>;
