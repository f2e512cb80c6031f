using System.Text.Json;
using System.Text.Json.Nodes;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>
/// QuestionnaireResponse/$submit with the SMART app's message Bundle: the enrollment form enrolls
/// (or updates) through the JSON API's core, the survey is recorded through the survey core, the
/// answer says what is still missing, and a retry changes nothing.
/// </summary>
public abstract class FhirSubmitTests(ImidCareApp app)
{
    private const string Submit = "/4_0_0/QuestionnaireResponse/$submit";

    private static JsonObject Item(string linkId, JsonNode value, string kind) => new()
    {
        ["linkId"] = linkId,
        ["answer"] = new JsonArray(new JsonObject { [kind] = value }),
    };

    /// <summary>The peer's bundle with our form, its answers, and the given patient (the EHR's ids, not ours).</summary>
    public static string Bundle(string questionnaire, JsonArray items, string? family = null, string? given = null, string birthDate = "1986-04-12", string? practitionerId = null)
    {
        var bundle = JsonNode.Parse(Peer.Fixture("submit.survey.bundle.json"))!;
        foreach (var e in bundle["entry"]!.AsArray())
        {
            var r = e!["resource"]!;
            switch ((string?)r["resourceType"])
            {
                case "QuestionnaireResponse":
                    r["questionnaire"] = $"http://localhost:8090/4_0_0/Questionnaire/{questionnaire}";
                    r["item"] = items;
                    break;
                case "Patient" when family is not null:
                    r["name"] = new JsonArray(new JsonObject { ["family"] = family, ["given"] = new JsonArray(given) });
                    r["birthDate"] = birthDate;
                    break;
                case "Practitioner" when practitionerId is not null:
                    r["id"] = practitionerId;
                    break;
            }
        }

        return bundle.ToJsonString();
    }

    public static JsonArray Enrollment(bool menses = true, bool menopause = false, string pattern = "regular") =>
    [
        Item("program", "POM", "valueString"),
        Item("sex", new JsonObject { ["code"] = "female" }, "valueCoding"),
        Item("menses-last-24-months", menses, "valueBoolean"),
        Item("natural-menopause-24-months", menopause, "valueBoolean"),
        Item("menstrual-pattern", pattern, "valueString"),
        Item("agreement-accepted", true, "valueBoolean"),
        Item("signed-by", "Fiona Form", "valueString"),
    ];

    public static JsonArray Survey(bool shared = false) =>
    [
        new JsonObject
        {
            // Nested in a group, as LForms renders it.
            ["linkId"] = "risk",
            ["item"] = new JsonArray(
                Item("shared-capsules", shared, "valueBoolean"), Item("donated-blood", false, "valueBoolean"), Item("donated-sperm", false, "valueBoolean"),
                Item("missed-contraception", false, "valueBoolean"), Item("unprotected-contact", false, "valueBoolean"), Item("possible-pregnancy", false, "valueBoolean")),
        },
    ];

    private static IReadOnlyList<string> OutcomeCodes(JsonElement answer) =>
        [.. answer.GetProperty("outcome").GetProperty("issue").EnumerateArray()
            .Where(i => i.TryGetProperty("details", out _)).Select(i => i.GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString()!)];

    [Fact]
    public async Task EnrollmentForm_FromTheOffice_EnrollsThroughTheCore_SaysWhatIsMissing_AndARetryChangesNothing()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var body = Bundle("imidcare-patient-enrollment", Enrollment(), "Form", "Fiona", "1990-01-15", practitionerId: "prs-demo-park");
        var r = await office.FhirPostAsync(Submit, body);
        r.Code.ShouldBe(201, r.ToString());
        var recorded = r.Body.GetProperty("recorded");
        recorded.GetProperty("action").GetString().ShouldBe("enrolled");
        var patientId = recorded.GetProperty("patient").GetString()!;
        r.Body.GetProperty("case_number").GetString().ShouldBe(await Peer.CaseNumberAsync(app, patientId));
        r.Body.GetProperty("status").GetString().ShouldBe("Pending");
        OutcomeCodes(r.Body).ShouldContain(c => c.Contains("TEST", StringComparison.Ordinal)); // no pregnancy test yet

        // The JSON API sees the patient the form enrolled: Dr. Park's, a female who can get pregnant, agreement signed.
        using var park = await app.ParkAsync();
        var status = await park.GetJsonAsync($"/api/v1/patients/{patientId}");
        status.Code.ShouldBe(200, status.ToString());
        status.Str("prescriberId").ShouldBe("prs_demo_park");
        status.Body.GetProperty("canGetPregnant").GetBoolean().ShouldBeTrue();
        status.Body.GetProperty("agreementSigned").GetBoolean().ShouldBeTrue();

        await using (var db = await app.DbAsync())
        {
            (await db.Audit.CountAsync(a => a.Subject == $"patient/{patientId}" && a.Action == "patient.enrolled")).ShouldBe(1);
        }

        // The SMART app resends (a timeout, a double click): the same answer, no second patient.
        var again = await office.FhirPostAsync(Submit, body);
        again.Code.ShouldBe(201);
        again.Raw.ShouldBe(r.Raw);
        await using (var db = await app.DbAsync())
        {
            (await db.Patients.CountAsync(p => p.Name == "Fiona Form")).ShouldBe(1);
        }

        // A new form with changed facts for the same patient is an update: the category is reviewed, no new patient.
        var changed = await office.FhirPostAsync(Submit, Bundle("imidcare-patient-enrollment", Enrollment(menses: false, menopause: true, pattern: "none"), "Form", "Fiona", "1990-01-15", practitionerId: "prs-demo-park"));
        changed.Code.ShouldBe(201, changed.ToString());
        changed.Body.GetProperty("recorded").GetProperty("action").GetString().ShouldBe("category-reviewed");
        (await park.GetJsonAsync($"/api/v1/patients/{patientId}")).Body.GetProperty("canGetPregnant").GetBoolean().ShouldBeFalse();
        await using var after = await app.DbAsync();
        (await after.Patients.CountAsync(p => p.Name == "Fiona Form")).ShouldBe(1);
    }

    /// <summary>
    /// The form's own key (no Idempotency-Key header) is honoured for Writes.KeyRetention like a
    /// header's: the same form exactly 24 h later gets the stored answer, a tick after that it is a
    /// new submission, which finds the patient enrolled with the same facts and records nothing.
    /// </summary>
    [Fact]
    public async Task EnrollmentForm_SentAgainAfterTheWindow_IsANewSubmission_ThatEnrollsNobodyTwice()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var body = Bundle("imidcare-patient-enrollment", Enrollment(), "Later", "Lena", "1990-05-15", practitionerId: "prs-demo-park");
        var r = await office.FhirPostAsync(Submit, body);
        r.Code.ShouldBe(201, r.ToString());
        r.Body.GetProperty("recorded").GetProperty("action").GetString().ShouldBe("enrolled");

        app.Clock.Now = ImidCareApp.Start + Writes.KeyRetention;
        (await office.FhirPostAsync(Submit, body)).Raw.ShouldBe(r.Raw);

        app.Clock.Advance(Duration.FromTicks(1));
        var later = await office.FhirPostAsync(Submit, body);
        later.Code.ShouldBe(201, later.ToString());
        later.Body.GetProperty("recorded").GetProperty("action").GetString().ShouldBe("unchanged");
        await using var db = await app.DbAsync();
        (await db.Patients.CountAsync(p => p.Name == "Lena Later")).ShouldBe(1);
    }

    [Fact]
    public async Task EnrollmentForm_WithAnswersMissing_Is400_NamingEach_AndEnrollsNobody()
    {
        using var office = Peer.Office(app);
        JsonArray items = [Item("program", "POM", "valueString"), Item("sex", "female", "valueString")];
        var r = await office.FhirPostAsync(Submit, Bundle("imidcare-patient-enrollment", items, "Missing", "Mia", "1991-02-02", practitionerId: "prs-demo-park"));
        r.Code.ShouldBe(400, r.ToString());
        r.ContentType.ShouldBe("application/fhir+json");
        var fields = r.Body.GetProperty("issue").EnumerateArray().Select(i => i.GetProperty("expression")[0].GetString()).ToList();
        fields.ShouldBe(["menses-last-24-months", "menstrual-pattern"], ignoreOrder: true);
        await using var db = await app.DbAsync();
        (await db.Patients.CountAsync(p => p.Name == "Mia Missing")).ShouldBe(0);
    }

    [Fact]
    public async Task EnrollmentForm_FromAnOfficeForAnotherPracticesPrescriber_IsRefused()
    {
        using var office = Peer.Office(app);
        var r = await office.FhirPostAsync(Submit, Bundle("imidcare-patient-enrollment", Enrollment(), "Elsewhere", "Eve", "1992-03-03", practitionerId: "prs-demo-ode"));
        r.Code.ShouldBe(403, r.ToString());
        r.Body.GetProperty("resourceType").GetString().ShouldBe("OperationOutcome");
    }

    [Fact]
    public async Task Survey_FromThePatientsOwnSession_IsRecordedThroughTheCore_Once()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var maria = await app.LoginAsync("maria", "demo-maria-2026");
        await using var db = await app.DbAsync();
        var before = await db.Surveys.CountAsync(s => s.PatientId == "pat_demo_maria");
        var body = Bundle("imidcare-patient-survey", Survey(), "Lopez", "Maria", "1986-04-12");
        var r = await maria.FhirPostAsync(Submit, body);
        r.Code.ShouldBe(201, r.ToString());
        r.Body.GetProperty("case_number").GetString().ShouldBe("enr_pat_demo_maria");
        r.Body.GetProperty("response").GetProperty("returnedRemsRequestDoc").GetProperty("case_number").GetString().ShouldBe("enr_pat_demo_maria");
        var recorded = r.Body.GetProperty("recorded");
        recorded.GetProperty("action").GetString().ShouldBe("survey-recorded");
        recorded.GetProperty("outcome").GetString().ShouldBe("allowed");
        (await db.Surveys.CountAsync(s => s.PatientId == "pat_demo_maria")).ShouldBe(before + 1);
        (await db.Audit.CountAsync(a => a.Subject == "patient/pat_demo_maria" && a.Action == "survey.completed" && a.ActorRole == "patient")).ShouldBeGreaterThan(0);

        var again = await maria.FhirPostAsync(Submit, body);
        again.Raw.ShouldBe(r.Raw);
        (await db.Surveys.CountAsync(s => s.PatientId == "pat_demo_maria")).ShouldBe(before + 1);
    }

    [Fact]
    public async Task Survey_FromTheOffice_IsRefused_OnlyThePatientAnswersIt()
    {
        using var office = Peer.Office(app);
        await using var db = await app.DbAsync();
        var before = await db.Surveys.CountAsync();
        var r = await office.FhirPostAsync(Submit, Bundle("imidcare-patient-survey", Survey(), "Lopez", "Maria", "1986-04-12"));
        r.Code.ShouldBe(403, r.ToString());
        r.Body.GetProperty("issue")[0].GetProperty("code").GetString().ShouldBe("forbidden");
        (await db.Surveys.CountAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task NotOurForm_OrNotABundle_IsAnOperationOutcome()
    {
        using var office = Peer.Office(app);
        var notOurs = await office.FhirPostAsync(Submit, Bundle("TuralioRemsPatientEnrollment", Survey()));
        notOurs.Code.ShouldBe(422);
        notOurs.Body.GetProperty("resourceType").GetString().ShouldBe("OperationOutcome");
        var notABundle = await office.FhirPostAsync(Submit, "{\"resourceType\":\"Patient\"}");
        notABundle.Code.ShouldBe(400);
        (await office.FhirPostAsync(Submit, "{not json")).Code.ShouldBe(400);
    }
}

public sealed class SqliteFhirSubmitTests(SqliteApp app) : FhirSubmitTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresFhirSubmitTests(PostgresApp app) : FhirSubmitTests(app), IClassFixture<PostgresApp>;
