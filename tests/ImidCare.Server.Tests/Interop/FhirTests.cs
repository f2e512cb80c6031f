using System.Text.Json;
using System.Text.Json.Nodes;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>FHIR read/search and the REMS operations, with the peers' payloads and read paths.</summary>
public abstract class FhirTests(ImidCareApp app)
{
    [Theory]
    [InlineData("/fhir/metadata")]
    [InlineData("/4_0_0/metadata")]
    public async Task Metadata_IsAnonymous_AndNamesTheRemsOperations(string url)
    {
        using var anon = app.Client();
        var r = await anon.GetJsonAsync(url);
        r.Code.ShouldBe(200, r.ToString());
        r.ContentType.ShouldBe("application/fhir+json");
        r.Raw.ShouldStartWith("{\"resourceType\":\"CapabilityStatement\"");
        r.Raw.ShouldContain("rems-etasu");
        r.Raw.ShouldContain("questionnaire-package");
    }

    [Fact]
    public async Task AnOrganisationKeyAsBearer_WorksOnInteropRoutesOnly()
    {
        using var office = Peer.Office(app);
        (await office.GetJsonAsync("/api/v1/me")).Code.ShouldBe(401);
        (await office.GetJsonAsync("/4_0_0/Patient/pat-demo-maria")).Code.ShouldBe(200);
        using var apiKey = app.Client(apiKey: ImidCare.Server.Hosting.DemoSeed.OfficeKey);
        (await apiKey.GetJsonAsync("/4_0_0/Patient/pat-demo-maria")).Code.ShouldBe(200);
    }

    [Fact]
    public async Task Patient_ReadOwnPractice_AndNotAnotherPractices()
    {
        using var office = Peer.Office(app);
        var maria = await office.GetJsonAsync("/4_0_0/Patient/pat-demo-maria");
        maria.Code.ShouldBe(200, maria.ToString());
        maria.Body.GetProperty("birthDate").GetString().ShouldBe("1986-04-12");
        maria.Body.GetProperty("identifier")[0].GetProperty("value").GetString().ShouldBe("pat_demo_maria");
        var omar = await office.GetJsonAsync("/4_0_0/Patient/pat-demo-omar");
        omar.Code.ShouldBe(404);
        omar.Body.GetProperty("resourceType").GetString().ShouldBe("OperationOutcome");
    }

    [Theory]
    [InlineData("Patient?identifier=https://imidcare.example/fhir/sid/rems-patient-id|pat_demo_maria", 1)]
    [InlineData("Patient?identifier=enr_pat_demo_maria", 1)]
    [InlineData("Patient?name=lopez&birthdate=1986-04-12", 1)]
    [InlineData("Patient?name=haddad", 0)]
    [InlineData("Observation?patient=Patient/pat-demo-maria", 2)]
    [InlineData("DocumentReference?patient=pat-demo-maria", 1)]
    [InlineData("QuestionnaireResponse?patient=pat-demo-maria&questionnaire=imidcare-patient-enrollment", 1)]
    [InlineData("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567893", 1)]
    [InlineData("Questionnaire", 3)]
    public async Task Search_FindsWhatTheCallerMaySee(string query, int total)
    {
        using var office = Peer.Office(app);
        var r = await office.GetJsonAsync("/fhir/" + query);
        r.Code.ShouldBe(200, r.ToString());
        r.Body.GetProperty("type").GetString().ShouldBe("searchset");
        r.Body.GetProperty("total").GetInt32().ShouldBe(total, r.ToString());
    }

    [Fact]
    public async Task PharmacyAndDispense_AreVisibleAfterTheJsonApiAuthorizesAndTheyConfirm()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Fhir Dispense");
        var a = await Scenario.AuthorizedAsync(park, id);
        using var json = app.Pharmacy();
        var c = (await json.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");
        (await Scenario.DispenseAsync(json, c)).Code.ShouldBe(201);

        using var pharmacy = Peer.Pharmacy(app);
        var requests = await pharmacy.GetJsonAsync($"/4_0_0/MedicationRequest?patient={id.Replace('_', '-')}");
        requests.Body.GetProperty("entry")[0].GetProperty("resource").GetProperty("status").GetString().ShouldBe("completed", requests.ToString());
        var dispenses = await pharmacy.GetJsonAsync($"/4_0_0/MedicationDispense?prescription=MedicationRequest/{a}");
        dispenses.Body.GetProperty("total").GetInt32().ShouldBe(1, dispenses.ToString());
        (await pharmacy.GetJsonAsync("/4_0_0/HealthcareService/phy-demo-main")).Body.GetProperty("comment").GetString()!.ShouldContain("POM: certified");
        (await pharmacy.GetJsonAsync("/4_0_0/Patient/pat-demo-rosa")).Code.ShouldBe(404);
    }

    [Theory]
    [InlineData("etasu.caseNumber.json", "office")]
    [InlineData("etasu.ig-input.case_number.json", "office")]
    [InlineData("etasu.patient+medication.json", "pharmacy")]
    public async Task RemsEtasu_PeerRequests_AnswerInTheIgShape_WithTheCaseNumberWhereThePeersLook(string fixture, string who)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var c = who == "office" ? Peer.Office(app) : Peer.Pharmacy(app);
        var r = await c.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", Peer.Fixture(fixture));
        r.Code.ShouldBe(200, r.ToString());
        var guidance = r.Body.GetProperty("parameter")[0];
        guidance.GetProperty("name").GetString().ShouldBe("rems-etasu");
        guidance.GetProperty("resource").GetProperty("status").GetString().ShouldBe("success", r.ToString());
        var items = Peer.EtasuItems(r.Body).GetProperty("parameter").EnumerateArray().ToList();
        items.Single(p => p.GetProperty("name").GetString() == "case_number").GetProperty("valueString").GetString().ShouldBe("enr_pat_demo_maria");
        items.Where(p => p.TryGetProperty("resource", out _)).Select(p => p.GetProperty("resource").GetProperty("status").GetString()).ShouldAllBe(s => s == "success");
        items.Select(p => p.GetProperty("name").GetString()).ShouldContain("Pregnancy Test");
    }

    [Fact]
    public async Task RemsEtasu_UnknownPatient_IsFailure_AndBadInputIsAnOperationOutcome()
    {
        using var office = Peer.Office(app);
        var unknown = await office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", """{"resourceType":"Parameters","parameter":[{"name":"caseNumber","valueString":"a24e73e53b2"}]}""");
        unknown.Body.GetProperty("parameter")[0].GetProperty("resource").GetProperty("status").GetString().ShouldBe("failure");

        foreach (var (body, status) in new[] { ("{\"resourceType\":", 400), ("{\"resourceType\":\"Patient\"}", 400), ("{\"resourceType\":\"Parameters\"}", 400), ("[]", 400) })
        {
            var r = await office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", body);
            r.Code.ShouldBe(status, body);
            r.Body.GetProperty("resourceType").GetString().ShouldBe("OperationOutcome", body);
        }

        using var anon = app.Client();
        (await anon.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", Peer.Fixture("etasu.caseNumber.json"))).Body.GetProperty("issue")[0].GetProperty("code").GetString().ShouldBe("login");
        (await office.GetJsonAsync("/4_0_0/Claim/1")).Code.ShouldBe(404);
        (await office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", "{\"a\":\"" + new string('x', 1_100_000) + "\"}")).Code.ShouldBe(413);
    }

    [Theory]
    [InlineData("/4_0_0/Questionnaire/imidcare-patient-enrollment/$questionnaire-package")]
    [InlineData("/4_0_0/Questionnaire/$questionnaire-package")]
    public async Task QuestionnairePackage_ReturnsTheFormInABundle(string url)
    {
        using var office = Peer.Office(app);
        var body = url.Contains("/$", StringComparison.Ordinal) && !url.Contains("enrollment", StringComparison.Ordinal)
            ? """{"resourceType":"Parameters","parameter":[{"name":"questionnaire","valueCanonical":"http://x/4_0_0/Questionnaire/imidcare-patient-enrollment"}]}"""
            : Peer.Fixture("questionnaire-package.request.json");
        var r = await office.FhirPostAsync(url, body);
        r.Code.ShouldBe(200, r.ToString());
        var bundle = r.Body.GetProperty("parameter")[0].GetProperty("resource");
        bundle.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString().ShouldBe("imidcare-patient-enrollment");
    }

    [Fact]
    public async Task Observations_CarryTheTherapyLabs_WithLoincCodes_ReadableById_AndSearchableByCode()
    {
        using var office = Peer.Office(app);
        var all = await office.GetJsonAsync("/4_0_0/Observation?patient=pat-demo-john");
        all.Code.ShouldBe(200, all.ToString());
        var codes = all.Body.GetProperty("entry").EnumerateArray()
            .Select(e => e.GetProperty("resource").GetProperty("code").GetProperty("coding")[0])
            .Where(c => c.GetProperty("system").GetString() == "http://loinc.org").Select(c => c.GetProperty("code").GetString()).Distinct().ToList();
        codes.ShouldBe(["751-8", "777-3", "718-7", "33358-3"], ignoreOrder: true); // ANC, platelets, hemoglobin, serum M-protein

        var anc = await office.GetJsonAsync("/4_0_0/Observation/lab-demo-john-0-anc");
        anc.Code.ShouldBe(200, anc.ToString());
        anc.Body.GetProperty("valueQuantity").GetProperty("code").GetString().ShouldBe("/uL");
        anc.Body.GetProperty("subject").GetProperty("reference").GetString().ShouldBe("Patient/pat-demo-john");

        var onlyAnc = await office.GetJsonAsync("/4_0_0/Observation?patient=pat-demo-john&code=http://loinc.org|751-8");
        onlyAnc.Body.GetProperty("entry").EnumerateArray().ShouldAllBe(e => e.GetProperty("resource").GetProperty("code").GetProperty("coding")[0].GetProperty("code").GetString() == "751-8");
        onlyAnc.Body.GetProperty("total").GetInt32().ShouldBeGreaterThan(0);

        // Another practice sees none of John's labs.
        using var ode = await app.LoginAsync("dr.ode", "demo-ode-2026");
        (await ode.GetJsonAsync("/4_0_0/Observation/lab-demo-john-0-anc")).Code.ShouldBe(404);
    }
}

public sealed class SqliteFhirTests(SqliteApp app) : FhirTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresFhirTests(PostgresApp app) : FhirTests(app), IClassFixture<PostgresApp>;
