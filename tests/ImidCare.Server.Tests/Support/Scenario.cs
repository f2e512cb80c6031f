using ImidCare.Rules.Programs;
using ImidCare.Server.Hosting;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Support;

/// <summary>Builders for the REMS journey, so each test states only what it is about.</summary>
public static class Scenario
{
    public static readonly object FullChecklist = new
    {
        counselorName = "Pat Quinn",
        workPhone = "555-0100",
        medicationGuideGiven = true,
        sideEffectsDiscussed = true,
        noSharingDiscussed = true,
        noBloodDonationDiscussed = true,
        doNotBreakChewOpenDiscussed = true,
        doseInstructionsGiven = true,
        contraceptionDiscussed = true,
        guardianPresentForChild = false,
    };

    public static object Enrollment(string name, string program = "POM", string sex = "female", bool menses = true, string dob = "1988-02-03", object? login = null) => new
    {
        name,
        dateOfBirth = dob,
        sex,
        program,
        reproductive = new { mensesInLast24Months = menses, naturalMenopauseAtLeast24Months = false, hysterectomy = false, bilateralOophorectomy = false },
        menstrualPattern = "regular",
        agreement = new { signedBy = name, signerRole = "patient", textVersion = $"{program}-PPAF-2021-08", accepted = true },
        patientLogin = login,
    };

    public static async Task<string> EnrollAsync(HttpClient prescriber, object enrollment)
    {
        var r = await prescriber.PostAsync("/api/v1/patients", enrollment);
        r.Code.ShouldBe(201, r.ToString());
        return r.Body.GetProperty("patient").GetProperty("id").GetString()!;
    }

    public static async Task RecordTestAsync(HttpClient prescriber, string patientId, Instant specimenAt, string result = "negative", int sensitivity = 25)
    {
        var r = await prescriber.PostAsync($"/api/v1/patients/{patientId}/pregnancy-tests",
            new { specimenAt = Http.Iso(specimenAt), result, sensitivityMiuPerMl = sensitivity, setting = "lab", verifiedBy = "Dr. Ada Park" });
        r.Code.ShouldBe(201, r.ToString());
    }

    /// <summary>An adult who can get pregnant with both pre-start tests on file (12 days and 2 hours before now).</summary>
    public static async Task<string> ReadyFrpAsync(ImidCareApp app, HttpClient park, string name)
    {
        var id = await EnrollAsync(park, Enrollment(name));
        await RecordTestAsync(park, id, app.Clock.Now - Duration.FromDays(12));
        await RecordTestAsync(park, id, app.Clock.Now - Duration.FromHours(2));
        return id;
    }

    /// <summary>
    /// An adult male enrolled in <paramref name="first"/> through the API, his patient survey of
    /// now on file there, and enrolled in <paramref name="second"/> as well: a patient moved from
    /// one drug to another (lenalidomide to pomalidomide, at relapse) holds an enrollment in each
    /// program. The API enrolls new patients only, so the second enrollment (enrolled, that
    /// program's agreement signed) is written to the database; the survey is taken before it, as
    /// the survey endpoint records a survey in the patient's first program.
    /// </summary>
    public static async Task<string> InTwoProgramsAsync(ImidCareApp app, HttpClient prescriber, string name, string first, string second)
    {
        var user = "two" + Guid.NewGuid().ToString("N")[..10];
        var id = await EnrollAsync(prescriber, Enrollment(name, program: first, sex: "male", menses: false, login: new { username = user, password = "patient-pass-1" }));
        using (var patient = await app.LoginAsync(user, "patient-pass-1"))
        {
            var survey = await patient.PostAsync($"/api/v1/patients/{id}/surveys", Survey());
            survey.Code.ShouldBe(201, survey.ToString());
        }

        await using var db = await app.DbAsync();
        var enrolled = await db.Enrollments.AsNoTracking().SingleAsync(e => e.PatientId == id, TestContext.Current.CancellationToken);
        var witness = await db.Agreements.Where(a => a.EnrollmentId == enrolled.Id).Select(a => a.WitnessedBy).SingleAsync(TestContext.Current.CancellationToken);
        var program = ProgramCatalog.Find(second)!;
        var enrollment = new Enrollment
        {
            Id = $"enr_{second.ToLowerInvariant()}_{id}", PatientId = id, ProgramId = program.Id, Category = enrolled.Category, Status = "Enrolled",
            EnrolledAt = app.Clock.Now, FactsJson = enrolled.FactsJson,
        };
        db.Enrollments.Add(enrollment);
        db.Agreements.Add(new Agreement
        {
            Id = $"agr_{second.ToLowerInvariant()}_{id}", EnrollmentId = enrollment.Id, SignedBy = name, SignerRole = "patient", SignedAt = app.Clock.Now,
            TextVersion = program.AgreementTextVersion, TextSha256 = AgreementTexts.Sha256(program), WitnessedBy = witness,
        });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return id;
    }

    public static Task<ApiResult> AuthorizeAsync(HttpClient prescriber, string patientId, string drug = "pomalidomide", int days = 28) =>
        prescriber.PostAsync("/api/v1/authorizations", new { patientId, drug, daysSupply = days, refills = 0, counselingAttested = true });

    public static async Task<string> AuthorizedAsync(HttpClient prescriber, string patientId, string drug = "pomalidomide", int days = 28)
    {
        var r = await AuthorizeAsync(prescriber, patientId, drug, days);
        r.Code.ShouldBe(201, r.ToString());
        return r.Str("number");
    }

    /// <summary>A fill now: authorized, confirmed and dispensed with <paramref name="days"/> days' supply; the authorization's number.</summary>
    public static async Task<string> FilledAsync(HttpClient prescriber, HttpClient pharmacy, string patientId, string drug, int days = 28)
    {
        var number = await AuthorizedAsync(prescriber, patientId, drug, days);
        var confirmation = await pharmacy.PostAsync($"/api/v1/authorizations/{number}/confirmations");
        confirmation.Code.ShouldBe(201, confirmation.ToString());
        var dispense = await DispenseAsync(pharmacy, confirmation.Str("number"), days);
        dispense.Code.ShouldBe(201, dispense.ToString());
        return number;
    }

    /// <summary>
    /// An audit record's data as the trail's readers see it (AuditJson.ExpandAsync: rule sources
    /// put back in place of their references), and as stored: each stored reason holds only its
    /// code, message and a reference to its source.
    /// </summary>
    public static async Task<System.Text.Json.JsonElement> AuditDataAsync(ImidCareDb db, Store.Entities.AuditRecord record)
    {
        using (var stored = System.Text.Json.JsonDocument.Parse(record.DataJson))
        {
            if (stored.RootElement.TryGetProperty("decision", out var decision))
            {
                foreach (var reason in decision.GetProperty("reasons").EnumerateArray())
                {
                    reason.EnumerateObject().Select(p => p.Name).ShouldBe(["code", "message", "source"]);
                    reason.GetProperty("source").GetString()!.ShouldStartWith(AuditJson.SourceKind + "_");
                }
            }
        }

        var expanded = (await AuditJson.ExpandAsync(db, [record.DataJson], TestContext.Current.CancellationToken))[0]!;
        return System.Text.Json.JsonDocument.Parse(expanded.ToJsonString(Json.Options)).RootElement.Clone();
    }

    /// <summary>The codes of a decision's reasons, allowed or not.</summary>
    public static IReadOnlyList<string> ReasonCodes(System.Text.Json.JsonElement decision) =>
        [.. decision.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("code").GetString()!)];

    public static Task<ApiResult> DispenseAsync(HttpClient pharmacy, string confirmation, int days = 28, string? key = null) =>
        pharmacy.PostAsync($"/api/v1/confirmations/{confirmation}/dispense", DispenseBody(days), key);

    /// <summary>A dispense's body (two steps or one): pomalidomide 4 mg × 21, the checklist complete unless another is given.</summary>
    public static object DispenseBody(int days = 28, object? checklist = null) =>
        new { ndc = "59572-0504-21", quantity = 21, daysSupply = days, checklist = checklist ?? FullChecklist };

    public static string PharmacyKey => DemoSeed.PharmacyKey;

    /// <summary>A pregnancy report's body from Dr. Park: the patient's own pregnancy, with the MedWatch fields the API requires.</summary>
    public static object PregnancyReport(string description) => new
    {
        partnerPregnancy = false,
        medWatch = new { eventDescription = description, outcomes = new[] { "other" }, suspectProduct = "pomalidomide 4 mg", reporterName = "Dr. Ada Park", reporterOccupation = "physician" },
    };

    /// <summary>A patient survey's body: every answer "no" unless said otherwise.</summary>
    public static object Survey(bool unprotected = false, bool pregnant = false) => new
    {
        answers = new { sharedCapsules = false, donatedBlood = false, donatedSperm = false, missedContraception = false, unprotectedContact = unprotected, possiblePregnancy = pregnant },
    };
}
