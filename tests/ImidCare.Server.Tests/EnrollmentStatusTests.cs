using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Tests.Support;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// A patient's enrollment deactivated, disenrolled and reactivated through the API: who may, what
/// it stops at once, what the rules then answer, and what is kept (history, audit).
/// </summary>
public abstract class EnrollmentStatusTests(ImidCareApp app)
{
    [Fact]
    public async Task Deactivating_RevokesWhatIsLive_RefusesNewAuthorizations_AndKeepsTheHistory()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var id = await Scenario.ReadyFrpAsync(app, park, "Paused Patient");
        var first = await Scenario.AuthorizedAsync(park, id);
        var confirmation = (await pharmacy.PostAsync($"/api/v1/authorizations/{first}/confirmations")).Str("number");

        var r = await park.PostAsync($"/api/v1/patients/{id}/enrollment/deactivate", new { reason = "Therapy paused for surgery." });
        r.Code.ShouldBe(200, r.ToString());
        r.Str("status").ShouldBe("Inactive");
        r.Body.GetProperty("authorizationsRevoked").EnumerateArray().Select(x => x.GetString()).ShouldBe([first]);
        r.Body.GetProperty("confirmationsRevoked").EnumerateArray().Select(x => x.GetString()).ShouldBe([confirmation]);

        // The confirmation the pharmacy already holds is no longer dispensable.
        var dispense = await Scenario.DispenseAsync(pharmacy, confirmation);
        dispense.Code.ShouldBeInRange(400, 499, dispense.ToString());

        // A new authorization is refused with the deactivation's own code (NCPDP EZ).
        var refused = await Scenario.AuthorizeAsync(park, id);
        refused.Code.ShouldBe(422, refused.ToString());
        refused.Codes.ShouldContain(Deactivation.PatientCode);

        var status = await park.GetJsonAsync($"/api/v1/patients/{id}");
        status.Str("enrollmentStatus").ShouldBe("Inactive");

        // Paused, not ended: the record stays in use for FHIR clients.
        (await park.GetJsonAsync($"/4_0_0/Patient/{id.Replace('_', '-')}")).Body.GetProperty("active").GetBoolean().ShouldBeTrue();
        var change = status.Body.GetProperty("statusHistory").EnumerateArray().ShouldHaveSingleItem();
        change.GetProperty("from").GetString().ShouldBe("Enrolled");
        change.GetProperty("to").GetString().ShouldBe("Inactive");
        change.GetProperty("reason").GetString().ShouldBe("Therapy paused for surgery.");

        await using (var db = await app.DbAsync())
        {
            var record = await db.Audit.AsNoTracking().Where(a => a.Subject == $"patient/{id}" && a.Action == "patient.enrollment.deactivate").SingleAsync();
            record.DataJson.ShouldContain("Therapy paused for surgery.");
            record.DataJson.ShouldContain(first);
        }

        // Back again: a new authorization, never the old one revived.
        (await park.PostAsync($"/api/v1/patients/{id}/enrollment/reactivate", new { reason = "Surgery done." })).Code.ShouldBe(200);
        var second = await Scenario.AuthorizedAsync(park, id);
        second.ShouldNotBe(first);
        var old = await pharmacy.PostAsync($"/api/v1/authorizations/{first}/confirmations");
        old.Code.ShouldBeInRange(400, 499, old.ToString());
        (await pharmacy.PostAsync($"/api/v1/authorizations/{second}/confirmations")).Code.ShouldBe(201);
    }

    [Fact]
    public async Task ADisenrolledPatient_IsBroughtBackOnlyByTheProgram()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var admin = await app.AdminAsync();
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("Ended Patient", sex: "male", menses: false));

        var fhir = $"/4_0_0/Patient/{id.Replace('_', '-')}";
        (await park.GetJsonAsync(fhir)).Body.GetProperty("active").GetBoolean().ShouldBeTrue();
        (await park.PostAsync($"/api/v1/patients/{id}/enrollment/disenroll", new { reason = "Treatment completed." })).Code.ShouldBe(200);

        // FHIR's flag for a record no longer in use by any program, which clients filter patient lists by.
        (await park.GetJsonAsync(fhir)).Body.GetProperty("active").GetBoolean().ShouldBeFalse();
        var again = await park.PostAsync($"/api/v1/patients/{id}/enrollment/disenroll", new { reason = "Twice." });
        again.Code.ShouldBe(409, again.ToString());
        var byPrescriber = await park.PostAsync($"/api/v1/patients/{id}/enrollment/reactivate", new { reason = "Restarting." });
        byPrescriber.Code.ShouldBe(409, byPrescriber.ToString());
        byPrescriber.Raw.ShouldContain("administrator");

        (await admin.PostAsync($"/api/v1/patients/{id}/enrollment/reactivate", new { reason = "Restarting after relapse." })).Code.ShouldBe(200);
        var history = (await park.GetJsonAsync($"/api/v1/patients/{id}")).Body.GetProperty("statusHistory").EnumerateArray()
            .Select(c => $"{c.GetProperty("from").GetString()}>{c.GetProperty("to").GetString()}").ToList();
        history.ShouldBe(["Enrolled>Disenrolled", "Disenrolled>Enrolled"]);
        (await park.GetJsonAsync(fhir)).Body.GetProperty("active").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task ThePatientAndTheirCaregiver_AreTold_AndTheOffice_WhenTheProgramMadeTheChange()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var admin = await app.AdminAsync();
        var username = "told" + Guid.NewGuid().ToString("N")[..8];
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("Told Patient", sex: "male", menses: false, login: new { username, password = "demo-told-2026" }));
        using var patient = await app.LoginAsync(username, "demo-told-2026");
        var grant = await patient.PostAsync($"/api/v1/patients/{id}/caregivers", new { username = "casey" });
        grant.Code.ShouldBe(201, grant.ToString());
        using var casey = await app.LoginAsync("casey", "demo-casey-2026");

        (await park.PostAsync($"/api/v1/patients/{id}/enrollment/deactivate", new { reason = "Non-compliance: missed two surveys." })).Code.ShouldBe(200);

        // Each in their own voice: the patient's own enrollment, and the caregiver's about the patient.
        foreach (var (who, title, detail) in new[] { (patient, "Your REMS enrollment is paused", "No pharmacy can fill a prescription for you"), (casey, "Told's REMS enrollment is paused", "No pharmacy can fill a prescription for Told") })
        {
            var told = Told(await who.GetJsonAsync("/api/v1/me/reminders"), id).ShouldHaveSingleItem();
            told.GetProperty("title").GetString().ShouldBe(title);
            told.GetProperty("detail").GetString()!.ShouldContain(detail);
            told.GetProperty("link").GetString().ShouldBe($"/me?patient={id}");
            told.GetProperty("rule").GetProperty("code").GetString().ShouldBe(Deactivation.PatientCode);

            // The reason may be the program's non-compliance note: the patient's page leaves it out, so does this.
            told.ToString().ShouldNotContain("Non-compliance");
        }

        // The office made this change itself: nothing to tell it.
        Told(await park.GetJsonAsync("/api/v1/me/reminders"), id).ShouldBeEmpty();

        (await admin.PostAsync($"/api/v1/patients/{id}/enrollment/disenroll", new { reason = "Program decision." })).Code.ShouldBe(200);
        Told(await park.GetJsonAsync("/api/v1/me/reminders"), id).ShouldHaveSingleItem().GetProperty("title").GetString()!.ShouldBe("Told Patient's enrollment ended by the program");
        Told(await patient.GetJsonAsync("/api/v1/me/reminders"), id).Select(t => t.GetProperty("title").GetString())
            .ShouldBe(["Your REMS enrollment has ended", "Your REMS enrollment is paused"], ignoreOrder: true);

        await using var db = await app.DbAsync();
        var record = await db.Audit.AsNoTracking().Where(a => a.Subject == $"patient/{id}" && a.Action == "patient.enrollment.deactivate").SingleAsync();
        record.DataJson.ShouldContain("\"told\"");
    }

    private static List<System.Text.Json.JsonElement> Told(ApiResult inbox, string patientId) =>
        [.. inbox.Body.GetProperty("reminders").EnumerateArray()
            .Where(r => r.GetProperty("kind").GetString() == "enrollment-changed" && r.GetProperty("patientId").GetString() == patientId)];

    [Fact]
    public async Task OnlyThePatientsPrescriberSide_OrTheProgram_ChangesTheStatus_WithAReason()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var ode = await app.LoginAsync("dr.ode", "demo-ode-2026");
        using var pharmacy = app.Pharmacy();
        using var safety = await app.LoginAsync("safety", "demo-safety-2026");
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("Guarded Patient", sex: "male", menses: false));
        var url = $"/api/v1/patients/{id}/enrollment/deactivate";

        (await ode.PostAsync(url, new { reason = "Not mine." })).Code.ShouldBe(403);
        (await pharmacy.PostAsync(url, new { reason = "Not a prescriber." })).Code.ShouldBe(403);
        (await safety.PostAsync(url, new { reason = "Staff, not the program's administrator." })).Code.ShouldBe(403);
        var blank = await park.PostAsync(url, new { reason = "  " });
        blank.Code.ShouldBe(400, blank.ToString());
        blank.ErrorFields.ShouldBe(["reason"]);
        (await park.PostAsync($"/api/v1/patients/pat_nobody/enrollment/deactivate", new { reason = "Who?" })).Code.ShouldBe(404);
        (await park.PostAsync($"/api/v1/patients/{id}/enrollment/pause", new { reason = "Unknown action." })).Code.ShouldBe(404);

        // Nothing above changed the enrollment.
        (await park.GetJsonAsync($"/api/v1/patients/{id}")).Str("enrollmentStatus").ShouldBe("Enrolled");
    }

    [Theory]
    [InlineData(EnrollmentStatus.Enrolled, "deactivate", false, EnrollmentStatus.Inactive)]
    [InlineData(EnrollmentStatus.Enrolled, "disenroll", false, EnrollmentStatus.Disenrolled)]
    [InlineData(EnrollmentStatus.Inactive, "disenroll", false, EnrollmentStatus.Disenrolled)]
    [InlineData(EnrollmentStatus.Inactive, "reactivate", false, EnrollmentStatus.Enrolled)]
    [InlineData(EnrollmentStatus.Disenrolled, "reactivate", true, EnrollmentStatus.Enrolled)]
    [InlineData(EnrollmentStatus.Disenrolled, "reactivate", false, null)]
    [InlineData(EnrollmentStatus.Enrolled, "reactivate", true, null)]
    [InlineData(EnrollmentStatus.Inactive, "deactivate", true, null)]
    [InlineData(EnrollmentStatus.Disenrolled, "deactivate", true, null)]
    [InlineData(EnrollmentStatus.Disenrolled, "disenroll", true, null)]
    public void TheMoves(EnrollmentStatus from, string action, bool byAdministrator, EnrollmentStatus? to)
    {
        var (status, error) = EnrollmentStatusEndpoints.Apply(from, action, byAdministrator);
        if (to is null)
        {
            error.ShouldNotBeNull();
        }
        else
        {
            error.ShouldBeNull();
            status.ShouldBe(to.Value);
        }
    }
}

public sealed class SqliteEnrollmentStatusTests(SqliteApp app) : EnrollmentStatusTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresEnrollmentStatusTests(PostgresApp app) : EnrollmentStatusTests(app), IClassFixture<PostgresApp>;
