using ImidCare.Server.Hosting;
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

    public static Task<ApiResult> AuthorizeAsync(HttpClient prescriber, string patientId, string drug = "pomalidomide", int days = 28) =>
        prescriber.PostAsync("/api/v1/authorizations", new { patientId, drug, daysSupply = days, refills = 0, counselingAttested = true });

    public static async Task<string> AuthorizedAsync(HttpClient prescriber, string patientId, string drug = "pomalidomide")
    {
        var r = await AuthorizeAsync(prescriber, patientId, drug);
        r.Code.ShouldBe(201, r.ToString());
        return r.Str("number");
    }

    public static Task<ApiResult> DispenseAsync(HttpClient pharmacy, string confirmation, int days = 28, string? key = null) =>
        pharmacy.PostAsync($"/api/v1/confirmations/{confirmation}/dispense", new { ndc = "59572-0504-21", quantity = 21, daysSupply = days, checklist = FullChecklist }, key);

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
