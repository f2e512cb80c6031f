using System.Text.Json;
using ImidCare.Server.Interop.Ncpdp;
using ImidCare.Server.Tests.Support;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>
/// Issue requirement 4: for the same patient, the JSON API's refusal codes, the $rems-etasu items,
/// the CDS Hooks cards, the OperationOutcome and the NCPDP denial all carry the same reasons.
/// </summary>
public abstract class ConsistencyTests(ImidCareApp app)
{
    private static string EtasuByIdentifier(string patientId) =>
        """{"resourceType":"Parameters","parameter":[{"name":"patient","resource":{"resourceType":"Patient","identifier":[{"system":"https://imidcare.example/fhir/sid/rems-patient-id","value":"PID"}]}},"""
            .Replace("PID", patientId, StringComparison.Ordinal)
        + """{"name":"medication","resource":{"resourceType":"Medication","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1369713"}]}}}]}""";

    private static IReadOnlyList<string> OutcomeCodes(JsonElement etasu) =>
        [.. etasu.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("name").GetString() == "outcome")
            .SelectMany(p => p.GetProperty("resource").GetProperty("issue").EnumerateArray())
            .Select(i => i.GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString()!)];

    [Theory]
    [InlineData("no-tests")]
    [InlineData("stale-test")]
    public async Task Prescribing_JsonApi_Etasu_Cards_OperationOutcome_AndNcpdp_Agree(string situation)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var name = situation == "no-tests" ? "Agree Notests" : "Agree Stale";
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment(name, dob: "1990-01-01"));
        if (situation == "stale-test")
        {
            await Scenario.RecordTestAsync(park, id, app.Clock.Now - NodaTime.Duration.FromDays(20));
        }

        var json = await Scenario.AuthorizeAsync(park, id);
        json.Code.ShouldBe(422, json.ToString());
        json.Codes.ShouldNotBeEmpty();

        using var office = Peer.Office(app);
        var etasu = await office.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", EtasuByIdentifier(id));
        etasu.Body.GetProperty("parameter")[0].GetProperty("resource").GetProperty("status").GetString().ShouldBe("data-required");
        Peer.EtasuCodes(etasu.Body).ShouldBe(json.Codes, ignoreOrder: true);
        OutcomeCodes(etasu.Body).ShouldBe(json.Codes, ignoreOrder: true);

        var cards = await CdsHooksTests.OrderSignAsync(office, CdsHooksTests.PatientIs("Agree", situation == "no-tests" ? "Notests" : "Stale", "1990-01-01", id));
        Peer.CardCodes(cards.Body).ShouldBe(json.Codes, ignoreOrder: true);

        using var pharmacy = Peer.Pharmacy(app);
        var caseNumber = await Peer.CaseNumberAsync(app, id);
        var ncpdp = await pharmacy.XmlPostAsync(NcpdpTests.Request(caseNumber));
        var note = Peer.Pims(ncpdp.Raw, "message.body.remsresponse.response.responsestatus.denied.remsnote");
        Peer.NoteCodes(note).Where(c => c != "REMS.AUTHORIZATION_MISSING").ShouldBe(json.Codes, ignoreOrder: true);
        var expected = json.Codes.Select(NcpdpMapping.Code).Append("EC").OrderBy(c => Array.IndexOf(["EZ", "EM", "EX", "ES", "EY", "EO", "EC", "ER"], c)).First();
        Peer.Pims(ncpdp.Raw, "message.body.remsresponse.response.responsestatus.denied.deniedreasoncode").ShouldBe(expected);
    }

    [Fact]
    public async Task Dispensing_JsonConfirmation_NcpdpRemsRequest_AndPharmacyEtasu_Agree()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        using var admin = await app.AdminAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Agree Dispensing");
        var a = await Scenario.AuthorizedAsync(park, id);
        (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/suspend", new { reason = "consistency test" })).Code.ShouldBe(200);
        try
        {
            using var json = app.Pharmacy();
            var refused = await json.PostAsync($"/api/v1/authorizations/{a}/confirmations");
            refused.Code.ShouldBe(422, refused.ToString());
            refused.Codes.ShouldBe(["REMS.PHARMACY_DEACTIVATED"]);

            using var pharmacy = Peer.Pharmacy(app);
            var ncpdp = await pharmacy.XmlPostAsync(NcpdpTests.Request(a));
            Peer.Pims(ncpdp.Raw, "message.body.remsresponse.response.responsestatus.denied.deniedreasoncode").ShouldBe("EY", ncpdp.Raw);
            Peer.NoteCodes(Peer.Pims(ncpdp.Raw, "message.body.remsresponse.response.responsestatus.denied.remsnote")).ShouldBe(refused.Codes);

            var etasu = await pharmacy.FhirPostAsync("/4_0_0/GuidanceResponse/$rems-etasu", $$"""{"resourceType":"Parameters","parameter":[{"name":"caseNumber","valueString":"{{await Peer.CaseNumberAsync(app, id)}}"}]}""");
            Peer.EtasuCodes(etasu.Body).ShouldBe(refused.Codes);
            OutcomeCodes(etasu.Body).ShouldBe(refused.Codes);
        }
        finally
        {
            (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/reinstate", new { reason = "consistency test done" })).Code.ShouldBe(200);
        }
    }
}

public sealed class SqliteConsistencyTests(SqliteApp app) : ConsistencyTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresConsistencyTests(PostgresApp app) : ConsistencyTests(app), IClassFixture<PostgresApp>;
