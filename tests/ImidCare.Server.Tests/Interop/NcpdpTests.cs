using System.Text.RegularExpressions;
using System.Xml.Linq;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests.Interop;

/// <summary>The PIMS pharmacy's NCPDP SCRIPT REMS messages, replayed with the peers' variants, read back PIMS's way.</summary>
public abstract partial class NcpdpTests(ImidCareApp app)
{
    private const string Init = "message.body.remsinitiationresponse";
    private const string Resp = "message.body.remsresponse.response.responsestatus";

    [GeneratedRegex("<(/?)([A-Za-z0-9]+)")]
    private static partial Regex Tags();

    /// <summary>The patient name as request-generator sends it (Name) or as PIMS expects it (Names/Name).</summary>
    public static string WithName(string xml, string given, string family, string dob, bool names = false)
    {
        var name = $"<Name><LastName>{family}</LastName><FirstName>{given}</FirstName></Name>";
        return xml.Replace("<HumanPatient>", "<HumanPatient>" + (names ? $"<Names>{name}</Names>" : name), StringComparison.Ordinal)
            .Replace("1986-04-12", dob, StringComparison.Ordinal);
    }

    public static string Lower(string xml) => Tags().Replace(xml, m => "<" + m.Groups[1].Value + m.Groups[2].Value.ToLowerInvariant());

    public static string Request(string caseId, string drugVariant = "ProductCode")
    {
        var xml = Peer.Fixture("REMSRequest.pims.xml").Replace("{{CASE}}", caseId, StringComparison.Ordinal);
        return drugVariant switch
        {
            "NDC" => xml.Replace("<ProductCode>\n            <Code>59572-0501-21</Code>\n            <Qualifier>ND</Qualifier>\n          </ProductCode>", "<NDC>59572-0501-21</NDC>", StringComparison.Ordinal),
            "ProductNDC" => xml.Replace("<DrugCoded>", "<Product><DrugCoded>", StringComparison.Ordinal).Replace("</DrugCoded>", "</DrugCoded></Product>", StringComparison.Ordinal)
                .Replace("<ProductCode>\n            <Code>59572-0501-21</Code>\n            <Qualifier>ND</Qualifier>\n          </ProductCode>", "<NDC>59572-0501-21</NDC>", StringComparison.Ordinal),
            _ => xml,
        };
    }

    private async Task<(int Audit, int Confirmations)> StateAsync()
    {
        await using var db = await app.DbAsync();
        return (await db.Audit.CountAsync(), await db.Confirmations.CountAsync());
    }

    [Fact]
    public async Task Initiation_PimsAsSent_WithTheNameDropped_IsClosedEM()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Peer.Fixture("REMSInitiationRequest.pims.xml"));
        r.Code.ShouldBe(200, r.ToString());
        r.ContentType.ShouldBe("application/xml");
        Peer.Pims(r.Raw, Init + ".response.responsestatus.closed.reasoncode").ShouldBe("EM");
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("Names")]
    [InlineData("lower-case")]
    public async Task Initiation_ForMaria_IsOpen_WithTheCaseNumberWherePimsReadsIt(string variant)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = Peer.Pharmacy(app);
        var xml = WithName(Peer.Fixture("REMSInitiationRequest.pims.xml"), "Maria", "Lopez", "1986-04-12", names: variant == "Names");
        var r = await pharmacy.XmlPostAsync(variant == "lower-case" ? Lower(xml) : xml);
        r.Code.ShouldBe(200, r.ToString());
        Peer.Pims(r.Raw, Init + ".patient.humanpatient.identification.remspatientid").ShouldBe("enr_pat_demo_maria", r.Raw);
        Peer.PimsHas(r.Raw, Init + ".response.responsestatus.closed").ShouldBeFalse();

        // Strict on output: NCPDP casing, To/From swapped, RelatesToMessageID.
        r.Raw.ShouldContain("<REMSInitiationResponse>");
        r.Raw.ShouldContain("<To Qualifier=\"REMS\">Pharmacy 123</To>");
        r.Raw.ShouldContain($"<RelatesToMessageID>{Peer.Pims(xml, "message.header.messageid")}</RelatesToMessageID>");
    }

    [Fact]
    public async Task RemsRequest_BeforeAnyAuthorization_IsDeniedEC_AndChangesNoConfirmation()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = Peer.Pharmacy(app);
        var before = await StateAsync();
        var r = await pharmacy.XmlPostAsync(Request("enr_pat_demo_maria"));
        r.Code.ShouldBe(200, r.ToString());
        Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EC");
        Peer.Pims(r.Raw, Resp + ".denied.remscaseid").ShouldBe("enr_pat_demo_maria");
        Peer.NoteCodes(Peer.Pims(r.Raw, Resp + ".denied.remsnote")).ShouldBe(["REMS.AUTHORIZATION_MISSING"]);
        (await StateAsync()).Confirmations.ShouldBe(before.Confirmations);

        // No EHR is configured here: notifying it is off by default, nothing is queued.
        await using var db = await app.DbAsync();
        (await db.Outbox.CountAsync()).ShouldBe(0);
    }

    [Theory]
    [InlineData("ProductCode")]
    [InlineData("NDC")]
    [InlineData("ProductNDC")]
    public async Task RemsRequest_AfterTheJsonApiAuthorizes_IsApproved_AsAConfirmation_AndARetryGetsTheSameNumber(string drugVariant)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, $"Ncpdp {drugVariant}");
        var authorization = await Scenario.AuthorizedAsync(park, id);
        using var pharmacy = Peer.Pharmacy(app);

        var r = await pharmacy.XmlPostAsync(Request(authorization, drugVariant));
        r.Code.ShouldBe(200, r.ToString());
        var number = Peer.Pims(r.Raw, Resp + ".approved.remsauthorizationnumber");
        number.ShouldNotBeNull(r.Raw);
        number.ShouldStartWith("C");
        Peer.Pims(r.Raw, Resp + ".approved.remscaseid").ShouldBe(await Peer.CaseNumberAsync(app, id));
        Peer.Pims(r.Raw, Resp + ".approved.authorizationperiod.expirationdate.date").ShouldBe("2026-11-18");

        // The JSON API sees the same state: the authorization is confirmed.
        using var json = app.Pharmacy();
        (await json.GetJsonAsync($"/api/v1/authorizations/{authorization}")).Str("state").ShouldBe("Confirmed");

        var again = await pharmacy.XmlPostAsync(Request(authorization, drugVariant));
        Peer.Pims(again.Raw, Resp + ".approved.remsauthorizationnumber").ShouldBe(number);
    }

    /// <summary>
    /// The early-refill rule counts fills within the program: days into a 28-day lenalidomide fill,
    /// a patient moved to pomalidomide is on a first pomalidomide fill, confirmed through NCPDP as
    /// through the JSON API (SeparateProgramsTests).
    /// </summary>
    [Fact]
    public async Task RemsRequest_AFirstPomalidomideFill_DaysIntoALenalidomideFill_IsApproved_NotAnEarlyRefill()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var json = app.Pharmacy();
        string id;
        using (var park = await app.ParkAsync())
        {
            id = await Scenario.InTwoProgramsAsync(app, park, "Ncpdp Switch", first: "POM", second: "LEN");
            await Scenario.FilledAsync(park, json, id, "lenalidomide");
        }

        app.Clock.Now = ImidCareApp.Start + NodaTime.Duration.FromDays(5);
        try
        {
            using var park = await app.ParkAsync();
            var authorization = await Scenario.AuthorizedAsync(park, id, "pomalidomide");
            using var pharmacy = Peer.Pharmacy(app);
            var r = await pharmacy.XmlPostAsync(Request(authorization));
            r.Code.ShouldBe(200, r.ToString());
            Peer.Pims(r.Raw, Resp + ".approved.remsauthorizationnumber").ShouldNotBeNull(r.Raw);
            (await json.GetJsonAsync($"/api/v1/authorizations/{authorization}")).Str("state").ShouldBe("Confirmed");
        }
        finally
        {
            app.Clock.Now = ImidCareApp.Start;
        }
    }

    [Fact]
    public async Task RemsRequest_PatientOnHold_IsDeniedEM_WithTheHoldInTheNote()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Request("enr_pat_demo_rosa"));
        Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EM", r.Raw);
        Peer.NoteCodes(Peer.Pims(r.Raw, Resp + ".denied.remsnote")).ShouldContain("REMS.HOLD_CONTRACEPTION_LAPSE");
    }

    [Fact]
    public async Task RemsRequest_UnknownCase_IsDeniedEC()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Request("a24e73e53b2"));
        Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EC", r.Raw);
        Peer.Pims(r.Raw, Resp + ".denied.remscaseid").ShouldBe("a24e73e53b2");
    }

    [Fact]
    public async Task RxFill_IsAcknowledgedOnlyOnceTheDispenseIsRecorded()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Rxfill Case");
        var authorization = await Scenario.AuthorizedAsync(park, id);
        using var pharmacy = Peer.Pharmacy(app);
        var approved = await pharmacy.XmlPostAsync(Request(authorization));
        var confirmation = Peer.Pims(approved.Raw, Resp + ".approved.remsauthorizationnumber")!;
        var fill = WithName(Peer.Fixture("RxFill.pims.xml"), "Rxfill", "Case", "1988-02-03");

        var early = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(early.Raw, "message.body.error.code").ShouldBe("EC", early.Raw);
        Peer.Pims(early.Raw, "message.body.error.description")!.ShouldContain(confirmation);

        using var json = app.Pharmacy();
        (await Scenario.DispenseAsync(json, confirmation)).Code.ShouldBe(201);
        var done = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(done.Raw, "message.body.status.code").ShouldBe("000", done.Raw);
    }

    private async Task<(string Patient, string Authorization, string Confirmation, string Fill)> ConfirmedAsync(string given, string family)
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, $"{given} {family}");
        var authorization = await Scenario.AuthorizedAsync(park, id);
        using var pharmacy = Peer.Pharmacy(app);
        var approved = await pharmacy.XmlPostAsync(Request(authorization));
        var confirmation = Peer.Pims(approved.Raw, Resp + ".approved.remsauthorizationnumber");
        confirmation.ShouldNotBeNull(approved.Raw);
        return (id, authorization, confirmation, WithName(Peer.Fixture("RxFill.pims.xml"), given, family, "1988-02-03"));
    }

    [Fact]
    public async Task RxFill_WithTheCounselingRecorded_RecordsTheDispense_AndARetryChangesNothing()
    {
        var (id, authorization, confirmation, fill) = await ConfirmedAsync("Fill", "Counseled");
        using var json = app.Pharmacy();
        var counseled = await json.PostAsync($"/api/v1/confirmations/{confirmation}/counseling", Scenario.FullChecklist);
        counseled.Code.ShouldBe(200, counseled.ToString());

        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(r.Raw, "message.body.status.code").ShouldBe("000", r.Raw);
        (await json.GetJsonAsync($"/api/v1/authorizations/{authorization}")).Str("state").ShouldBe("Dispensed");
        await using (var db = await app.DbAsync())
        {
            var d = await db.Dispenses.SingleAsync(x => x.PatientId == id);
            (d.ConfirmationNumber, d.Ndc, d.Quantity, d.DaysSupply).ShouldBe((confirmation, "59572050121", 21, 28)); // PIMS sends no DaysSupply: the authorized 28
            d.ChecklistJson.ShouldContain("Pat Quinn");
            (await db.Audit.CountAsync(a => a.Subject == $"authorization/{authorization}" && (a.Action == "counseling.recorded" || a.Action == "dispense.recorded"))).ShouldBe(2);
        }

        // The pharmacy system resends the fill: acknowledged again, still one dispense.
        var again = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(again.Raw, "message.body.status.code").ShouldBe("000", again.Raw);
        await using var after = await app.DbAsync();
        (await after.Dispenses.CountAsync(x => x.PatientId == id)).ShouldBe(1);
    }

    [Fact]
    public async Task RxFill_WithoutCounseling_IsRefusedEC_NamingWhatToDo_AndRecordsNothing()
    {
        var (id, _, confirmation, fill) = await ConfirmedAsync("Fill", "Uncounseled");
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(r.Raw, "message.body.error.code").ShouldBe("EC", r.Raw);
        var description = Peer.Pims(r.Raw, "message.body.error.description")!;
        Peer.NoteCodes(description).ShouldBe(["REMS.COUNSELING_NOT_RECORDED"]);
        description.ShouldContain($"/api/v1/confirmations/{confirmation}/counseling");
        await using var db = await app.DbAsync();
        (await db.Dispenses.CountAsync(x => x.PatientId == id)).ShouldBe(0);
        (await db.Confirmations.SingleAsync(c => c.Number == confirmation)).State.ShouldBe("active");
    }

    /// <summary>
    /// An RxFill's FillStatus says what happened (NCPDP: Dispensed, PartiallyDispensed, NotDispensed,
    /// Transferred; rems-admin reads fillstatus.dispensed). A fill that was not dispensed is
    /// acknowledged and records nothing: the confirmation stays open.
    /// </summary>
    [Theory]
    [InlineData("<NotDispensed><Note>Patient did not pick up</Note></NotDispensed>")]
    [InlineData("<Transferred><Note>Sent to another pharmacy</Note></Transferred>")]
    public async Task RxFill_NotDispensed_RecordsNoDispense(string fillStatus)
    {
        var (id, authorization, confirmation, fill) = await ConfirmedAsync("Fill", fillStatus.Contains("NotDispensed", StringComparison.Ordinal) ? "Notdispensed" : "Transferred");
        using var json = app.Pharmacy();
        (await json.PostAsync($"/api/v1/confirmations/{confirmation}/counseling", Scenario.FullChecklist)).Code.ShouldBe(200);
        using var pharmacy = Peer.Pharmacy(app);
        var notDispensed = fill.Replace("<Dispensed>\n          <Note>Picked up</Note>\n        </Dispensed>", fillStatus, StringComparison.Ordinal);
        notDispensed.ShouldNotContain("Picked up");
        var r = await pharmacy.XmlPostAsync(notDispensed);
        Peer.Pims(r.Raw, "message.body.status.code").ShouldBe("000", r.Raw);
        await using var db = await app.DbAsync();
        (await db.Dispenses.CountAsync(x => x.PatientId == id)).ShouldBe(0);
        (await db.Confirmations.SingleAsync(c => c.Number == confirmation)).State.ShouldBe("active");
        (await json.GetJsonAsync($"/api/v1/authorizations/{authorization}")).Str("state").ShouldBe("Confirmed");
    }

    [Theory]
    [InlineData("<DaysSupply>29</DaysSupply>", "REMS.DAYS_SUPPLY_OUT_OF_RANGE")]
    [InlineData("<DaysSupply>14</DaysSupply>", null)]
    public async Task RxFill_DaysSupply_IsCheckedByTheDispenseRule(string daysSupply, string? refusal)
    {
        var (id, _, confirmation, fill) = await ConfirmedAsync("Fill", refusal is null ? "Fourteen" : "Twentynine");
        using var json = app.Pharmacy();
        (await json.PostAsync($"/api/v1/confirmations/{confirmation}/counseling", Scenario.FullChecklist)).Code.ShouldBe(200);
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(fill.Replace("</Quantity>", "</Quantity>" + daysSupply, StringComparison.Ordinal));
        await using var db = await app.DbAsync();
        if (refusal is null)
        {
            Peer.Pims(r.Raw, "message.body.status.code").ShouldBe("000", r.Raw);
            (await db.Dispenses.SingleAsync(x => x.PatientId == id)).DaysSupply.ShouldBe(14);
        }
        else
        {
            Peer.Pims(r.Raw, "message.body.error.code").ShouldBe("EC", r.Raw);
            Peer.NoteCodes(Peer.Pims(r.Raw, "message.body.error.description")).ShouldContain(refusal);
            (await db.Dispenses.CountAsync(x => x.PatientId == id)).ShouldBe(0);
        }
    }

    [Fact]
    public async Task Counseling_IsTheConfirmingPharmacysOwn()
    {
        var (_, _, confirmation, _) = await ConfirmedAsync("Counsel", "Other");
        using var park = await app.ParkAsync();
        (await park.PostAsync($"/api/v1/confirmations/{confirmation}/counseling", Scenario.FullChecklist)).Code.ShouldBe(403);
        using var json = app.Pharmacy();
        (await json.PostAsync("/api/v1/confirmations/C-not-a-number/counseling", Scenario.FullChecklist)).Code.ShouldBe(400);
    }

    [Fact]
    public async Task RemsRequest_DeactivatedPrescriber_IsDeniedEX()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var authorization = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Deactivated Prescriber"));
        using var admin = await app.AdminAsync();
        (await admin.PostAsync("/api/v1/prescribers/prs_demo_park/certifications/POM/suspend", new { reason = "Audit finding" })).Code.ShouldBe(200);
        try
        {
            using var pharmacy = Peer.Pharmacy(app);
            var r = await pharmacy.XmlPostAsync(Request(authorization));
            Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EX", r.Raw);
            Peer.NoteCodes(Peer.Pims(r.Raw, Resp + ".denied.remsnote")).ShouldBe(["REMS.PRESCRIBER_DEACTIVATED"]);
        }
        finally
        {
            (await admin.PostAsync("/api/v1/prescribers/prs_demo_park/certifications/POM/reinstate", new { reason = "Resolved" })).Code.ShouldBe(200);
        }
    }

    [Fact]
    public async Task RemsRequest_DeactivatedPharmacy_IsDeniedEY()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var authorization = await Scenario.AuthorizedAsync(park, await Scenario.ReadyFrpAsync(app, park, "Deactivated Pharmacy"));
        using var admin = await app.AdminAsync();
        (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/suspend", new { reason = "Inspection" })).Code.ShouldBe(200);
        try
        {
            using var pharmacy = Peer.Pharmacy(app);
            var r = await pharmacy.XmlPostAsync(Request(authorization));
            Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EY", r.Raw);
            Peer.NoteCodes(Peer.Pims(r.Raw, Resp + ".denied.remsnote")).ShouldBe(["REMS.PHARMACY_DEACTIVATED"]);
        }
        finally
        {
            (await admin.PostAsync("/api/v1/pharmacies/phy_demo_main/certifications/POM/reinstate", new { reason = "Passed" })).Code.ShouldBe(200);
        }
    }

    [Fact]
    public async Task RemsRequest_DeactivatedPatient_IsDeniedEZ()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var park = await app.ParkAsync();
        var id = await Scenario.ReadyFrpAsync(app, park, "Deactivated Patient");
        var authorization = await Scenario.AuthorizedAsync(park, id);
        (await park.PostAsync($"/api/v1/patients/{id}/enrollment/disenroll", new { reason = "Treatment ended." })).Code.ShouldBe(200);

        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Request(authorization));
        Peer.Pims(r.Raw, Resp + ".denied.deniedreasoncode").ShouldBe("EZ", r.Raw);
        Peer.NoteCodes(Peer.Pims(r.Raw, Resp + ".denied.remsnote")).ShouldContain("REMS.PATIENT_DEACTIVATED");
    }

    [Theory]
    [InlineData("EZ", "REMS.PATIENT_DEACTIVATED", "REMS.PRESCRIBER_DEACTIVATED", "REMS.PHARMACY_DEACTIVATED")]
    [InlineData("EM", "REMS.PATIENT_NOT_ENROLLED", "REMS.PRESCRIBER_DEACTIVATED")]
    [InlineData("EX", "REMS.PRESCRIBER_DEACTIVATED", "REMS.PRESCRIBER_NOT_CERTIFIED", "REMS.PHARMACY_DEACTIVATED")]
    [InlineData("EY", "REMS.PHARMACY_DEACTIVATED", "REMS.PHARMACY_NOT_CERTIFIED", "REMS.AUTHORIZATION_EXPIRED")]
    [InlineData("EO", "REMS.PHARMACY_NOT_CERTIFIED", "REMS.AUTHORIZATION_EXPIRED")]
    public void OneCodePerMessage_PatientFirst_DeactivationBeforeTheRequirement(string expected, params string[] reasonCodes)
    {
        var source = Rules.RuleSource.Verified("test", "S");
        var d = Rules.Decision.Deny([.. reasonCodes.Select(c => new Rules.Reason(c, c, source))]);
        Server.Interop.Ncpdp.NcpdpMapping.PrimaryCode(d).ShouldBe(expected);
        Server.Interop.Ncpdp.NcpdpMapping.PrimaryCode(reasonCodes).ShouldBe(expected);
    }

    private static string[] Children(string xml, string message) =>
        [.. XDocument.Parse(xml).Root!.Elements().First(e => e.Name.LocalName == "Body").Elements().First(e => e.Name.LocalName == message).Elements().Select(e => e.Name.LocalName)];

    private static string[] HeaderNames(string xml) =>
        [.. XDocument.Parse(xml).Root!.Elements().First(e => e.Name.LocalName == "Header").Elements().Select(e => e.Name.LocalName)];

    /// <summary>
    /// rems-admin's REMSInitiationResponse (fixtures 04a/04b) echoes the request's Pharmacy,
    /// Prescriber and MedicationPrescribed after the Patient; PIMS (parseREMSInitiationResponse)
    /// keeps REMSPatientID as the case number only when medicationprescribed is there, and without a
    /// case number it never sends the REMSRequest.
    /// </summary>
    [Fact]
    public async Task Initiation_Open_EchoesPharmacyPrescriberAndMedication_SoPimsKeepsTheCaseNumber()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = Peer.Pharmacy(app);
        var xml = WithName(Peer.Fixture("REMSInitiationRequest.pims.xml"), "Maria", "Lopez", "1986-04-12");
        var r = await pharmacy.XmlPostAsync(xml);
        r.Code.ShouldBe(200, r.ToString());

        // PIMS: caseNumber = medicationprescribed ? remspatientid : null.
        var caseNumber = Peer.PimsHas(r.Raw, Init + ".medicationprescribed") ? Peer.Pims(r.Raw, Init + ".patient.humanpatient.identification.remspatientid") : null;
        caseNumber.ShouldBe("enr_pat_demo_maria", r.Raw);
        Children(r.Raw, "REMSInitiationResponse").ShouldBe(["REMSReferenceID", "Patient", "Pharmacy", "Prescriber", "MedicationPrescribed", "Response"]);
        Peer.Pims(r.Raw, Init + ".medicationprescribed.drugcoded.productcode.code").ShouldBe("59572-0501-21");
        Peer.Pims(r.Raw, Init + ".pharmacy.identification.ncpdpid").ShouldBe("Pharmacy 123");
        Peer.Pims(r.Raw, Init + ".prescriber.nonveterinarian.identification.npi").ShouldBe("1122334455");
    }

    /// <summary>A request in the NCPDP namespace is read alike, and its echo comes back in our (un-namespaced) reply's terms.</summary>
    [Fact]
    public async Task Initiation_InTheNcpdpNamespace_IsOpen_AndTheEchoCarriesNoForeignNamespace()
    {
        app.Clock.Now = ImidCareApp.Start;
        using var pharmacy = Peer.Pharmacy(app);
        var xml = WithName(Peer.Fixture("REMSInitiationRequest.pims.xml"), "Maria", "Lopez", "1986-04-12")
            .Replace("<Message ", "<Message xmlns=\"http://www.ncpdp.org/schema/SCRIPT\" ", StringComparison.Ordinal);
        var r = await pharmacy.XmlPostAsync(xml);
        r.Code.ShouldBe(200, r.ToString());
        Peer.Pims(r.Raw, Init + ".patient.humanpatient.identification.remspatientid").ShouldBe("enr_pat_demo_maria", r.Raw);
        XDocument.Parse(r.Raw).Descendants().Where(e => e.Name.NamespaceName.Length > 0).Select(e => e.Name.ToString()).ShouldBeEmpty(r.Raw);
    }

    /// <summary>rems-admin's REMSResponse (fixtures 06a/06b) has the same echo, in the same place.</summary>
    [Fact]
    public async Task RemsResponse_EchoesPharmacyPrescriberAndMedication_BeforeTheResponse()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Request("enr_pat_demo_rosa"));
        Peer.PimsHas(r.Raw, Resp + ".denied").ShouldBeTrue(r.Raw);
        Children(r.Raw, "REMSResponse").ShouldBe(["REMSReferenceID", "Patient", "Pharmacy", "Prescriber", "MedicationPrescribed", "Response"]);
        Peer.Pims(r.Raw, "message.body.remsresponse.medicationprescribed.drugcoded.productcode.code").ShouldBe("59572-0501-21");
    }

    /// <summary>
    /// rems-admin's Status to an RxFill (fixture 09) carries the fill's RxReferenceNumber and
    /// PrescriberOrderNumber; NCPDP's header order puts them after SentTime.
    /// </summary>
    [Fact]
    public async Task Reply_EchoesRxReferenceAndPrescriberOrderNumber_InHeaderOrder()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var fill = WithName(Peer.Fixture("RxFill.pims.xml"), "Nobody", "Known", "1970-01-01");
        var r = await pharmacy.XmlPostAsync(fill);
        Peer.Pims(r.Raw, "message.body.error.code").ShouldBe("EC", r.Raw);
        Peer.Pims(r.Raw, "message.header.prescriberordernumber").ShouldBe("ehr-mr-pom-1", r.Raw);
        Peer.Pims(r.Raw, "message.header.rxreferencenumber").ShouldBe("1739390000000", r.Raw);
        HeaderNames(r.Raw).ShouldBe(["To", "From", "MessageID", "RelatesToMessageID", "SentTime", "RxReferenceNumber", "PrescriberOrderNumber"]);
    }

    public static TheoryData<string, string, int> BadMessages => new()
    {
        { "unknown root", "<NotAMessage><Body/></NotAMessage>", 400 },
        { "malformed", "<Message><Body><REMSRequest></Body></Message>", 400 },
        { "not xml", "{\"json\":true}", 400 },
        { "empty", "", 400 },
        { "XXE", "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Message><Body><REMSRequest><REMSReferenceID>&x;</REMSReferenceID></REMSRequest></Body></Message>", 400 },
        { "billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]><Message><Body><REMSRequest><REMSReferenceID>&lol4;</REMSReferenceID></REMSRequest></Body></Message>", 400 },
        { "unknown message", "<Message><Header><MessageID>1</MessageID></Header><Body><CancelRx/></Body></Message>", 400 },
        { "huge", "<Message><Body><REMSRequest><REMSReferenceID>" + new string('x', 1_100_000) + "</REMSReferenceID></REMSRequest></Body></Message>", 413 },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task BadXml_GetsAnNcpdpError_AndChangesNothing(string what, string xml, int status)
    {
        using var pharmacy = Peer.Pharmacy(app);
        var before = await StateAsync();
        var r = await pharmacy.XmlPostAsync(xml);
        r.Code.ShouldBe(status, what + ": " + r);
        Peer.Pims(r.Raw, "message.body.error.code").ShouldBe("ER", what);
        r.Raw.ShouldNotContain("root:");
        (await StateAsync()).ShouldBe(before, what);
    }

    [Fact]
    public async Task NewRx_IsNotOurs_ToAnswer()
    {
        using var pharmacy = Peer.Pharmacy(app);
        var r = await pharmacy.XmlPostAsync(Peer.Fixture("NewRx.request-generator.xml"));
        r.Code.ShouldBe(400);
        Peer.Pims(r.Raw, "message.body.error.description")!.ShouldContain("NewRx");
    }

    [Fact]
    public async Task OnlyAPharmacyCredential_MaySendRemsMessages()
    {
        using var anon = app.Client();
        (await anon.XmlPostAsync(Request("enr_pat_demo_maria"))).Code.ShouldBe(401);
        using var office = Peer.Office(app);
        var r = await office.XmlPostAsync(Request("enr_pat_demo_maria"));
        r.Code.ShouldBe(403);
        Peer.Pims(r.Raw, "message.body.error.code").ShouldBe("ER");
        using var wrongKey = Peer.BearerKey(app, "not-a-key");
        (await wrongKey.XmlPostAsync(Request("enr_pat_demo_maria"))).Code.ShouldBe(401);
    }
}

public sealed class SqliteNcpdpTests(SqliteApp app) : NcpdpTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresNcpdpTests(PostgresApp app) : NcpdpTests(app), IClassFixture<PostgresApp>;
