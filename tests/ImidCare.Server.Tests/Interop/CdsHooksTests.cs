using System.Text.Json;
using System.Text.Json.Nodes;
using ImidCare.Server.Hosting;
using ImidCare.Server.Tests.Support;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>The peer EHR's CDS Hooks requests (request-generator shapes), answered in the shapes it reads back.</summary>
public abstract class CdsHooksTests(ImidCareApp app)
{
    public static string Hook(string fixture, Action<JsonNode>? edit = null)
    {
        var node = JsonNode.Parse(Peer.Fixture(fixture))!;
        edit?.Invoke(node);
        return node.ToJsonString();
    }

    /// <summary>Makes the hook's patient someone else (EHR ids, not ours).</summary>
    public static Action<JsonNode> PatientIs(string given, string family, string birthDate, string? ourId = null) => n =>
    {
        var p = n["prefetch"]!["patient"]!;
        p["name"] = new JsonArray(new JsonObject { ["family"] = family, ["given"] = new JsonArray(given) });
        p["birthDate"] = birthDate;
        if (ourId is not null)
        {
            p["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://imidcare.example/fhir/sid/rems-patient-id", ["value"] = ourId });
        }
    };

    public static async Task<ApiResult> OrderSignAsync(HttpClient c, Action<JsonNode>? edit = null) =>
        await c.PostAsync("/cds-services/rems-order-sign", Hook("order-sign.pomalidomide.json", edit), "application/json");

    [Fact]
    public async Task Discovery_IsAnonymous_AndListsTheFourRemsServices()
    {
        using var anon = app.Client();
        var r = await anon.GetJsonAsync("/cds-services");
        r.Code.ShouldBe(200, r.ToString());
        r.Body.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ShouldBe(
            ["rems-order-sign", "rems-order-select", "rems-patient-view", "rems-encounter-start"]);
    }

    [Fact]
    public async Task OrderSign_PeerRequestForMaria_SaysRequirementsMet_WithHerCaseNumber()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, n => n["prefetch"]!.AsObject().Remove("pharmacy"));
        r.Code.ShouldBe(200, r.ToString());
        var cards = r.Body.GetProperty("cards");
        cards.GetArrayLength().ShouldBe(1, r.ToString());
        cards[0].GetProperty("indicator").GetString().ShouldBe("info");
        cards[0].GetProperty("source").GetProperty("label").GetString().ShouldBe("PS-Pomalidomide REMS");
        cards[0].GetProperty("extension").GetProperty("com.imidcare.case-number").GetString().ShouldBe("enr_pat_demo_maria");
        Peer.CardCodes(r.Body).ShouldBeEmpty();
    }

    [Fact]
    public async Task OrderSign_NewPatientWithoutTests_ListsExactlyWhatTheJsonApiRefuses()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.EnrollAsync(park, Scenario.Enrollment("Nina Cardtest", dob: "1991-03-04"));
        var json = await Scenario.AuthorizeAsync(park, id);
        json.Code.ShouldBe(422, json.ToString());

        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, PatientIs("Nina", "Cardtest", "1991-03-04"));
        r.Code.ShouldBe(200, r.ToString());
        Peer.CardCodes(r.Body).ShouldBe(json.Codes, ignoreOrder: true);
        var patientCard = r.Body.GetProperty("cards").EnumerateArray().First(c => c.GetProperty("summary").GetString()!.Contains("patient needs", StringComparison.Ordinal));
        patientCard.GetProperty("summary").GetString()!.ShouldContain("Pregnancy Test");
        patientCard.GetProperty("indicator").GetString().ShouldBe("warning");
    }

    /// <summary>
    /// dispenseRequest.expectedSupplyDuration is a FHIR Duration: its UCUM code gives the unit. Five
    /// weeks is 35 days, beyond the program's maximum, and is refused as the JSON API refuses 35 days;
    /// four weeks is 28 days and is fine.
    /// </summary>
    [Theory]
    [InlineData(5, "wk", "weeks", true)]
    [InlineData(4, "wk", "weeks", false)]
    [InlineData(2, "mo", "months", true)]
    [InlineData(28, "d", "days", false)]
    [InlineData(1e20, "a", "years", true)]
    public async Task OrderSign_ExpectedSupplyDuration_IsReadInItsUnit(double value, string code, string unit, bool refused)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, n =>
        {
            n["prefetch"]!.AsObject().Remove("pharmacy");
            n["context"]!["draftOrders"]!["entry"]![0]!["resource"]!["dispenseRequest"]!["expectedSupplyDuration"] =
                new JsonObject { ["value"] = value, ["unit"] = unit, ["system"] = "http://unitsofmeasure.org", ["code"] = code };
        });
        r.Code.ShouldBe(200, r.ToString());
        if (refused)
        {
            Peer.CardCodes(r.Body).ShouldContain("REMS.DAYS_SUPPLY_OUT_OF_RANGE", r.Raw);
        }
        else
        {
            Peer.CardCodes(r.Body).ShouldBeEmpty(r.Raw);
        }
    }

    [Fact]
    public async Task OrderSign_PatientOnHold_IsACriticalCard()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, PatientIs("Rosa", "Diaz", "1990-11-02"));
        r.Code.ShouldBe(200, r.ToString());
        var card = r.Body.GetProperty("cards")[0];
        card.GetProperty("indicator").GetString().ShouldBe("critical");
        Peer.CardCodes(r.Body).ShouldContain("REMS.HOLD_CONTRACEPTION_LAPSE");
    }

    [Fact]
    public async Task OrderSign_UnknownPatient_GetsAnEnrollmentCard_WithTheSmartAppContextThePeerParses()
    {
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, PatientIs("Jon", "Snow", "1996-06-01"));
        r.Code.ShouldBe(200, r.ToString());
        var card = r.Body.GetProperty("cards")[0];
        card.GetProperty("summary").GetString()!.ShouldContain("Patient Enrollment");
        var link = card.GetProperty("links")[0];
        link.GetProperty("type").GetString().ShouldBe("smart");
        link.GetProperty("appContext").GetString().ShouldBe(
            $"questionnaire={app.BaseAddress.ToString().TrimEnd('/')}/4_0_0/Questionnaire/imidcare-patient-enrollment&order=MedicationRequest/ehr-mr-pom-1&coverage=Coverage/ehr-cov-1001");
    }

    [Fact]
    public async Task OrderSign_AnotherPracticesPatient_IsNotRevealed()
    {
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, PatientIs("Omar", "Haddad", "1955-03-21", "pat_demo_omar"));
        r.Code.ShouldBe(200, r.ToString());
        r.Raw.ShouldNotContain("enr_pat_demo_omar");
        Peer.CardCodes(r.Body).ShouldBe(["REMS.PATIENT_NOT_ENROLLED"]);
    }

    [Fact]
    public async Task OrderSign_NotOneOfOurDrugs_HasNoCards()
    {
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office, n =>
        {
            var mr = n["context"]!["draftOrders"]!["entry"]![0]!["resource"]!;
            mr["medicationCodeableConcept"] = JsonNode.Parse("""{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"2183126","display":"Turalio 200 MG Oral Capsule"}]}""");
        });
        r.Code.ShouldBe(200, r.ToString());
        r.Body.GetProperty("cards").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task OrderSelect_HonoursSelections()
    {
        using var office = Peer.Office(app);
        var selected = await office.PostAsync("/cds-services/rems-order-select", Hook("order-select.pomalidomide.json", n => n["prefetch"]!.AsObject().Remove("pharmacy")), "application/json");
        selected.Body.GetProperty("cards").GetArrayLength().ShouldBe(1, selected.ToString());
        var other = await office.PostAsync("/cds-services/rems-order-select",
            Hook("order-select.pomalidomide.json", n => n["context"]!["selections"] = new JsonArray("MedicationRequest/something-else")), "application/json");
        other.Code.ShouldBe(200);
        other.Body.GetProperty("cards").GetArrayLength().ShouldBe(0, other.ToString());
    }

    [Fact]
    public async Task PatientView_WithoutPrefetch_FetchesFromTheEhrWithItsToken()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);

        // Our own FHIR API plays the EHR: the token is the office key, the ids are ours.
        var r = await office.PostAsync("/cds-services/rems-patient-view", Hook("patient-view.pomalidomide.json", n =>
        {
            n.AsObject().Remove("prefetch");
            n["fhirServer"] = app.BaseAddress.ToString().TrimEnd('/') + "/4_0_0";
            n["fhirAuthorization"]!["access_token"] = DemoSeed.OfficeKey;
            n["context"]!["patientId"] = "pat-demo-maria";
        }), "application/json");
        r.Code.ShouldBe(200, r.ToString());
        r.Body.GetProperty("cards")[0].GetProperty("extension").GetProperty("com.imidcare.case-number").GetString().ShouldBe("enr_pat_demo_maria");
    }

    /// <summary>
    /// Our discovery asks patient-view for MedicationRequest?subject=…&amp;_include=MedicationRequest:medication:
    /// an order coded by medicationReference comes with its Medication as a separate (include) entry
    /// of the same Bundle, and the drug is read from there.
    /// </summary>
    [Theory]
    [InlineData("Medication/ehr-med-pom")]
    [InlineData("http://ehr.example/fhir/Medication/ehr-med-pom")]
    public async Task PatientView_OrderByMedicationReference_IsResolvedFromTheIncludedMedication(string reference)
    {
        using var office = Peer.Office(app);
        var r = await office.PostAsync("/cds-services/rems-patient-view", Hook("patient-view.pomalidomide.json", n =>
        {
            PatientIs("Jon", "Snow", "1996-06-01")(n);
            var bundle = n["prefetch"]!["medicationRequests"]!;
            var mr = bundle["entry"]![0]!["resource"]!.AsObject();
            mr.Remove("medicationCodeableConcept");
            mr["medicationReference"] = new JsonObject { ["reference"] = reference };
            bundle["entry"]!.AsArray().Add(JsonNode.Parse("""
                {"fullUrl":"http://ehr.example/fhir/Medication/ehr-med-pom","resource":{"resourceType":"Medication","id":"ehr-med-pom",
                 "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1369713","display":"pomalidomide"}]}},
                 "search":{"mode":"include"}}
                """));
        }), "application/json");
        r.Code.ShouldBe(200, r.ToString());
        Peer.CardCodes(r.Body).ShouldBe(["REMS.PATIENT_NOT_ENROLLED"], r.Raw);
    }

    [Fact]
    public async Task PrefetchedPharmacy_GetsACertificationCard()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var office = Peer.Office(app);
        var r = await OrderSignAsync(office);
        var card = r.Body.GetProperty("cards").EnumerateArray().Single(c => c.GetProperty("summary").GetString()!.StartsWith("Pharmacy Certification", StringComparison.Ordinal));
        card.GetProperty("indicator").GetString().ShouldBe("info");
        card.GetProperty("detail").GetString()!.ShouldContain("Main Street Specialty Pharmacy **is certified**");
    }

    [Fact]
    public async Task PrefetchedPharmacy_Suspended_IsADeactivation_AsTheConfirmationRuleSays()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var admin = await app.AdminAsync();
        (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/suspend", new { reason = "card test" })).Code.ShouldBe(200);
        try
        {
            using var office = Peer.Office(app);
            var r = await OrderSignAsync(office);
            var card = r.Body.GetProperty("cards").EnumerateArray().Single(c => c.GetProperty("summary").GetString()!.StartsWith("Pharmacy Certification", StringComparison.Ordinal));
            card.GetProperty("indicator").GetString().ShouldBe("warning");
            card.GetProperty("extension").GetProperty("com.imidcare.reasons")[0].GetString().ShouldBe("REMS.PHARMACY_DEACTIVATED");
        }
        finally
        {
            (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/reinstate", new { reason = "card test done" })).Code.ShouldBe(200);
        }
    }

    [Theory]
    [InlineData(null, "{}", 401)]
    [InlineData("office", "{\"hook\":", 400)]
    [InlineData("office", "[1,2]", 400)]
    [InlineData("office", "{\"hook\":\"order-sign\"}", 400)]
    public async Task BadRequests_GetCleanErrors(string? who, string body, int status)
    {
        using var c = who is null ? app.Client() : Peer.Office(app);
        var r = await c.PostAsync("/cds-services/rems-order-sign", body, "application/json");
        r.Code.ShouldBe(status, r.ToString());
        r.Body.GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task UnknownService_Is404_AndHugeBody_Is413()
    {
        using var office = Peer.Office(app);
        (await office.PostAsync("/cds-services/nope", "{}", "application/json")).Code.ShouldBe(404);
        var huge = "{\"x\":\"" + new string('a', 1_100_000) + "\"}";
        (await office.PostAsync("/cds-services/rems-order-sign", huge, "application/json")).Code.ShouldBe(413);
    }

    [Fact]
    public async Task MissingPatientId_IsABadRequestCard_WithStatus200_AsThePeersExpect()
    {
        using var office = Peer.Office(app);
        var r = await office.PostAsync("/cds-services/rems-order-sign", Hook("order-sign.pomalidomide.json", n => n["context"]!.AsObject().Remove("patientId")), "application/json");
        r.Code.ShouldBe(200);
        r.Body.GetProperty("cards")[0].GetProperty("summary").GetString().ShouldBe("Bad Request");
    }
}

public sealed class SqliteCdsHooksTests(SqliteApp app) : CdsHooksTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresCdsHooksTests(PostgresApp app) : CdsHooksTests(app), IClassFixture<PostgresApp>;
