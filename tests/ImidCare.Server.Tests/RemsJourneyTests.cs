using System.Text.Json;
using ImidCare.Server.Tests.Support;
using ImidCare.Store.Audit;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The "done when" journey through the API alone, on each storage provider: certify a
/// prescriber and a pharmacy, enroll an adult who can get pregnant, record her two pre-start tests,
/// authorize, confirm, dispense; the audit chain verifies afterwards.
/// </summary>
public abstract class RemsJourneyTests(ImidCareApp app)
{
    [Fact]
    public async Task NewUser_CertifiesEnrollsAuthorizesConfirmsDispenses()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var admin = await app.AdminAsync();
        var suffix = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Prescriber: registered by the program, certified after attesting training.
        var npi = Rules.Rems.Npi.FromNineDigits("1" + suffix + "00").Value;
        var created = await admin.PostAsync("/api/v1/prescribers", new { npi, name = "Dr. Journey", practiceId = "journey-" + suffix, login = new { username = "dr.j" + suffix, password = "journey-password-1" } });
        created.Code.ShouldBe(201, created.ToString());
        var prescriberId = created.Str("id");
        using var doctor = await app.LoginAsync("dr.j" + suffix, "journey-password-1");
        var cert = await doctor.PostAsync($"/api/v1/prescribers/{prescriberId}/certifications", new { program = "POM", trainingAttested = true, agreesToRequirements = true });
        cert.Code.ShouldBe(201, cert.ToString());

        // Pharmacy: registered with a representative, a trained pharmacist, then certified.
        var ncpdp = Rules.Rems.NcpdpId.FromSixDigits(suffix).Value;
        var pharmacy = await admin.PostAsync("/api/v1/pharmacies", new
        {
            ncpdpId = ncpdp, npi = Rules.Rems.Npi.FromNineDigits("1" + suffix + "11").Value, name = "Journey Pharmacy", kind = "site",
            representative = new { name = "R. Rep", attests = true },
        });
        pharmacy.Code.ShouldBe(201, pharmacy.ToString());
        var pharmacyId = pharmacy.Str("id");
        using var pharmacyApi = app.Client(apiKey: pharmacy.Str("apiKey"));
        var refused = await admin.PostAsync($"/api/v1/pharmacies/{pharmacyId}/certifications", new { program = "POM" });
        refused.Code.ShouldBe(422);
        refused.Codes.ShouldContain("REMS.STAFF_NOT_TRAINED");
        (await pharmacyApi.PostAsync($"/api/v1/pharmacies/{pharmacyId}/staff-training", new { staffName = "P. Harm", program = "POM", completedOn = "2026-11-01" })).Code.ShouldBe(201);
        (await admin.PostAsync($"/api/v1/pharmacies/{pharmacyId}/certifications", new { program = "POM" })).Code.ShouldBe(201);

        // Patient: the category comes from the answers.
        var enrolled = await doctor.PostAsync("/api/v1/patients", Scenario.Enrollment("Jane Journey"));
        enrolled.Code.ShouldBe(201, enrolled.ToString());
        var patient = enrolled.Body.GetProperty("patient");
        patient.GetProperty("category").GetString().ShouldBe("adultFemaleCanGetPregnant");
        var patientId = patient.GetProperty("id").GetString()!;

        // Without tests: refused, and the reasons say exactly what is missing.
        var early = await Scenario.AuthorizeAsync(doctor, patientId);
        early.Code.ShouldBe(422);
        early.Codes.ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING", "REMS.SECOND_PRESTART_TEST_MISSING"], ignoreOrder: true);

        var first = (await doctor.GetJsonAsync($"/api/v1/patients/{patientId}")).Body.GetProperty("firstPrescription");
        first.TryGetProperty("authorizeBy", out _).ShouldBeFalse(); // no moment: the tests do not support it now
        first.GetProperty("preStartTests").GetProperty("outcome").GetString().ShouldBe("denied");

        await Scenario.RecordTestAsync(doctor, patientId, app.Clock.Now - Duration.FromDays(11));
        await Scenario.RecordTestAsync(doctor, patientId, app.Clock.Now - Duration.FromHours(5));

        // The second test supports the first prescription for 24 hours: the status says until when.
        first = (await doctor.GetJsonAsync($"/api/v1/patients/{patientId}")).Body.GetProperty("firstPrescription");
        var by = NodaTime.Text.InstantPattern.ExtendedIso.Parse(first.GetProperty("authorizeBy").GetString()!).Value;
        var lapses = app.Clock.Now - Duration.FromHours(5) + Duration.FromHours(24);
        by.ShouldBe(lapses);
        first.GetProperty("authorized").GetBoolean().ShouldBeFalse();
        var auth = await Scenario.AuthorizeAsync(doctor, patientId);
        auth.Code.ShouldBe(201, auth.ToString());
        auth.Str("validThrough").ShouldBe("2026-11-23"); // specimen 2026-11-17 is day 1 of 7
        auth.Body.GetProperty("decision").GetProperty("usesUnverifiedRules").GetBoolean().ShouldBeTrue();
        var number = auth.Str("number");

        (await doctor.GetJsonAsync($"/api/v1/patients/{patientId}")).Body.GetProperty("firstPrescription").GetProperty("authorized").GetBoolean().ShouldBeTrue();

        var confirmation = await pharmacyApi.PostAsync($"/api/v1/authorizations/{number}/confirmations");
        confirmation.Code.ShouldBe(201, confirmation.ToString());
        var dispense = await Scenario.DispenseAsync(pharmacyApi, confirmation.Str("number"));
        dispense.Code.ShouldBe(201, dispense.ToString());

        var status = await doctor.GetJsonAsync($"/api/v1/patients/{patientId}");
        status.Body.TryGetProperty("firstPrescription", out _).ShouldBeFalse(); // therapy has started
        status.Body.GetProperty("therapyStart").GetString().ShouldBe("2026-11-17");
        status.Body.GetProperty("authorizations")[0].GetProperty("state").GetString().ShouldBe("Dispensed");
        status.Body.GetProperty("nextPregnancyTest").GetProperty("dueOn").GetString().ShouldBe("2026-11-24"); // weekly in the first 4 weeks

        await using var db = await app.DbAsync();
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();

        // The audit records carry the decision (stored there only) and the checklist as JSON objects: the decision the pharmacy was answered.
        var records = await db.Audit.Where(r => r.Subject == $"authorization/{number}").ToListAsync();
        var issued = await Scenario.AuditDataAsync(db, records.Single(r => r.Action == "confirmation.issued"));
        issued.GetProperty("decision").GetProperty("outcome").GetString().ShouldBe("allowed");
        issued.GetProperty("decision").GetRawText().ShouldBe(confirmation.Body.GetProperty("decision").GetRawText());
        var recorded = await Scenario.AuditDataAsync(db, records.Single(r => r.Action == "dispense.recorded"));
        recorded.GetProperty("checklist").GetProperty("counselorName").GetString().ShouldBe("Pat Quinn");
        recorded.GetProperty("decision").GetRawText().ShouldBe(dispense.Body.GetProperty("decision").GetRawText());
    }

    [Fact]
    public async Task ARefill_KeepsTheTherapyStart_OfTheFirstFill()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var pharmacy = app.Pharmacy();
        var user = "refill" + Guid.NewGuid().ToString("N")[..8];
        var patientId = await Scenario.EnrollAsync(park, Scenario.Enrollment("Rene Refill", sex: "male", menses: false, login: new { username = user, password = "patient-pass-1" }));

        async Task<ApiResult> FillAsync(HttpClient prescriber)
        {
            var number = await Scenario.AuthorizedAsync(prescriber, patientId);
            var confirmation = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
            confirmation.Code.ShouldBe(201, confirmation.ToString());
            return await Scenario.DispenseAsync(pharmacy, confirmation.Str("number"));
        }

        var first = await FillAsync(park);
        first.Code.ShouldBe(201, first.ToString());
        first.Str("id").ShouldStartWith("dsp_");

        // 22 days later, 6 days of the 28 left: the next fill is due; the patient's monthly survey comes first.
        app.Clock.Now = ImidCareApp.Start + Duration.FromDays(22);
        using var parkLater = await app.ParkAsync();
        using var rene = await app.LoginAsync(user, "patient-pass-1");
        var survey = await rene.PostAsync($"/api/v1/patients/{patientId}/surveys", Scenario.Survey());
        survey.Code.ShouldBe(201, survey.ToString());
        var refill = await FillAsync(parkLater);
        refill.Code.ShouldBe(201, refill.ToString());

        // The refill's id sorts after the first fill's: dispense ids are ordered by time.
        string.CompareOrdinal(refill.Str("id"), first.Str("id")).ShouldBeGreaterThan(0);
        var status = await parkLater.GetJsonAsync($"/api/v1/patients/{patientId}");
        status.Body.GetProperty("therapyStart").GetString().ShouldBe("2026-11-17");
        await using var db = await app.DbAsync();
        (await AuditChain.VerifyAsync(db)).Intact.ShouldBeTrue();
    }
}

public sealed class SqliteRemsJourneyTests(SqliteApp app) : RemsJourneyTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresRemsJourneyTests(PostgresApp app) : RemsJourneyTests(app), IClassFixture<PostgresApp>;
