using System.Security.Cryptography;
using System.Xml.Linq;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Interop.Fhir;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Patient = ImidCare.Store.Entities.Patient;
using NodaTime;

namespace ImidCare.Server.Interop.Ncpdp;

/// <summary>
/// POST /ncpdp/script: the pharmacy's REMS messages. REMSInitiationRequest → REMSInitiationResponse,
/// REMSRequest → REMSResponse (a confirmation, through the same DispensingRules.Confirm as the JSON
/// API), RxFill → Status, anything else → Error. Lenient on input (case-insensitive names, the
/// peers' variants of patient name and drug code), strict on output (NCPDP casing, To/From swapped,
/// RelatesToMessageID). Only a pharmacy credential may send them, and it acts as its own pharmacy.
/// </summary>
public static class NcpdpEndpoint
{
    public const string MediaType = "application/xml";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/ncpdp/script", Handle).AllowAnonymous().WithTags("NCPDP SCRIPT").WithSummary("NCPDP SCRIPT REMS messages (XML).");

    private static IResult Xml(XElement root, int status = 200) =>
        Results.Content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + root.ToString(SaveOptions.DisableFormatting), MediaType, System.Text.Encoding.UTF8, status);

    private static IResult Error(int status, string code, string description, Instant now, XElement? request = null) =>
        Xml(Envelope(request, now, new XElement("Error", new XElement("Code", code), new XElement("Description", description))), status);

    /// <summary>The reply Message: version attributes as the request's, Header with To/From swapped and RelatesToMessageID.</summary>
    private static XElement Envelope(XElement? request, Instant now, XElement body)
    {
        string Attr(string name) => request?.Attributes().FirstOrDefault(a => a.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value ?? "2024011";
        var header = request.Child("Header");
        var to = header.Child("To");
        var from = header.Child("From");
        var h = new XElement("Header",
            new XElement("To", new XAttribute("Qualifier", from?.Attribute("Qualifier")?.Value ?? from?.Attribute("qualifier")?.Value ?? "P"), from?.Value.Trim() ?? "UNKNOWN"),
            new XElement("From", new XAttribute("Qualifier", to?.Attribute("Qualifier")?.Value ?? to?.Attribute("qualifier")?.Value ?? "ZZZ"), to?.Value.Trim() ?? "ImidCare"),
            new XElement("MessageID", Guid.NewGuid().ToString()));
        if (header.FirstText(["MessageID"]) is { } relates)
        {
            h.Add(new XElement("RelatesToMessageID", relates));
        }

        h.Add(new XElement("SentTime", FhirFormat.Instant(now)));

        // The prescription's own numbers come back, in NCPDP's header order (after SentTime), so the
        // pharmacy can pair the answer with its order (rems-admin echoes them; see its RxFill Status).
        foreach (var echoed in new[] { "RxReferenceNumber", "PrescriberOrderNumber" })
        {
            if (header.FirstText([echoed]) is { } value)
            {
                h.Add(new XElement(echoed, value));
            }
        }

        return new XElement("Message",
            new XAttribute("DatatypesVersion", Attr("DatatypesVersion")), new XAttribute("TransportVersion", Attr("TransportVersion")),
            new XAttribute("TransactionDomain", "SCRIPT"), new XAttribute("TransactionVersion", Attr("TransactionVersion")),
            new XAttribute("StructuresVersion", Attr("StructuresVersion")), new XAttribute("ECLVersion", Attr("ECLVersion")),
            h, new XElement("Body", body));
    }

    private static async Task<IResult> Handle(HttpContext http, WriteGate gate, IClock clock, DenialNotices notices, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var caller = await InteropAuth.CallerAsync(http);
        if (caller is null)
        {
            return Error(401, "ER", "Authentication required: the pharmacy's API key (X-Api-Key or Authorization: Bearer).", now);
        }

        var (text, tooLarge) = await BodyReader.ReadAsync(http);
        if (tooLarge)
        {
            return Error(413, "ER", $"The message exceeds {BodyReader.MaxBytes} bytes.", now);
        }

        var doc = NcpdpXml.Parse(text ?? string.Empty, out var parseError);
        if (doc?.Root is not { } root)
        {
            return Error(400, "ER", parseError ?? "Empty message.", now);
        }

        if (!root.Name.LocalName.Equals("Message", StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "ER", $"Unknown root element '{root.Name.LocalName}': an NCPDP SCRIPT Message is expected.", now);
        }

        var message = root.Child("Body")?.Elements().FirstOrDefault();
        var kind = message?.Name.LocalName.ToUpperInvariant();
        if (kind is not ("REMSINITIATIONREQUEST" or "REMSREQUEST" or "RXFILL"))
        {
            return Error(400, "ER", $"Unsupported message type '{message?.Name.LocalName ?? "(none)"}': REMSInitiationRequest, REMSRequest and RxFill are accepted.", now, root);
        }

        if (!caller.IsPharmacy)
        {
            return Error(403, "ER", "Only a pharmacy system sends REMS messages; this credential is not a pharmacy's.", now, root);
        }

        return kind switch
        {
            "REMSINITIATIONREQUEST" => await InitiationAsync(gate, caller, root, message!, now, ct),
            "REMSREQUEST" => await RemsRequestAsync(gate, notices, caller, root, message!, ct),
            _ => await RxFillAsync(gate, caller, root, message!, now, ct),
        };
    }

    /// <summary>What a message says about the patient and drug, read leniently.</summary>
    private sealed record Subject(string? CaseId, string? FirstName, string? LastName, LocalDate? BirthDate, string? Drug, bool DrugGiven);

    private static Subject Read(XElement m)
    {
        var human = m.Path("Patient", "HumanPatient");
        var name = human.Child("Name") ?? human.Path("Names", "Name");
        var drugElement = m.Child("MedicationPrescribed") ?? m.Child("MedicationDispensed");
        var code = drugElement.FirstText(["DrugCoded", "ProductCode", "Code"], ["DrugCoded", "NDC"], ["Product", "DrugCoded", "NDC"], ["DrugCoded", "RxNorm"]);
        var drug = DrugCodes.FromNdc(code) ?? DrugCodes.FromCode(null, code, null) ?? DrugCodes.FromText(drugElement.FirstText(["DrugDescription"]));
        return new Subject(
            m.FirstText(["Request", "SolicitedModel", "REMSCaseID"], ["Patient", "HumanPatient", "Identification", "REMSPatientID"], ["REMSCaseID"]),
            name.FirstText(["FirstName"]),
            name.FirstText(["LastName"]),
            FhirInput.Date(human.FirstText(["DateOfBirth", "Date"], ["DateOfBirth", "DateTime"])),
            drug,
            drugElement is not null && (code is not null || drugElement.FirstText(["DrugDescription"]) is not null));
    }

    /// <summary>Resolves the patient: an authorization number, a case number or our patient id, else name + birth date.</summary>
    private static async Task<(Patient? Patient, AuthorizationRecord? Authorization, string How)> ResolveAsync(ImidCareDb db, Caller caller, Subject s, CancellationToken ct)
    {
        if (s.CaseId is { } id)
        {
            if (RemsNumber.TryParse(id, 'A', out var number, out _))
            {
                var a = await db.Authorizations.FirstOrDefaultAsync(x => x.Number == number.Value.Value, ct);
                return (a is null ? null : await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == a.PatientId, ct), a, "authorization number");
            }

            var byId = await PatientMatcher.ByOurIdAsync(db, caller, id, "case number", ct);
            if (byId.Found)
            {
                return (byId.Patient, null, byId.How);
            }

            return (null, null, "case number");
        }

        if (s.LastName is null || s.BirthDate is null)
        {
            return (null, null, "no case number, and no patient name and birth date");
        }

        var m = await PatientMatcher.ByNameAsync(db, caller, s.FirstName ?? string.Empty, s.LastName, s.BirthDate.Value, ct);
        return (m.Patient, null, m.Ambiguous ? $"{m.Candidates} patients match the name and birth date" : "name and birth date");
    }

    private static XElement PatientBlock(Subject s, Patient? p, string? caseNumber)
    {
        var human = new XElement("HumanPatient");
        if (caseNumber is not null)
        {
            human.Add(new XElement("Identification", new XElement("REMSPatientID", caseNumber)));
        }

        var name = p is null ? null : FhirResources.Name(p.Name);
        var last = name?.Family ?? s.LastName;
        var first = name?.Given?.FirstOrDefault() ?? s.FirstName;
        if (last is not null)
        {
            human.Add(new XElement("Names", new XElement("Name", new XElement("LastName", last), first is null ? null : new XElement("FirstName", first))));
        }

        var dob = p?.DateOfBirth ?? s.BirthDate;
        if (dob is not null)
        {
            human.Add(new XElement("DateOfBirth", new XElement("Date", FhirFormat.Date(dob.Value))));
        }

        return new XElement("Patient", human);
    }

    private static XElement? ReferenceId(XElement m) => m.FirstText(["REMSReferenceID"]) is { } r ? new XElement("REMSReferenceID", r) : null;

    /// <summary>
    /// The request's Pharmacy, Prescriber and MedicationPrescribed, echoed after the Patient as
    /// rems-admin does. PIMS needs it: it takes the case number (REMSPatientID) from an open
    /// REMSInitiationResponse only when the response has a MedicationPrescribed.
    /// </summary>
    private static IEnumerable<XElement> Echo(XElement m) =>
        new[] { "Pharmacy", "Prescriber", "MedicationPrescribed" }.Select(n => m.Child(n) is { } e ? Plain(e, n) : null).OfType<XElement>();

    /// <summary>A copy in our reply's terms: element names without the sender's namespace, no namespace declarations.</summary>
    private static XElement Plain(XElement e, string? name = null) =>
        new(name ?? e.Name.LocalName, e.Attributes().Where(a => !a.IsNamespaceDeclaration), e.Nodes().Select(n => n is XElement c ? Plain(c) : n));

    /// <summary>Program from the message's drug, else the patient's only enrollment. A drug outside our programs is a case error.</summary>
    private static async Task<(ProgramRules? Program, string? Drug)> ProgramAsync(ImidCareDb db, Patient p, Subject s, AuthorizationRecord? a, CancellationToken ct)
    {
        if (a is not null)
        {
            return (ProgramCatalog.Find(a.ProgramId), a.Drug);
        }

        if (s.Drug is not null)
        {
            return (DrugCodes.Program(s.Drug), s.Drug);
        }

        var enrolled = await db.Enrollments.Where(e => e.PatientId == p.Id).Select(e => e.ProgramId).ToListAsync(ct);
        return enrolled.Count == 1 && ProgramCatalog.Find(enrolled[0]) is { } only ? (only, only.Drugs[0]) : (null, null);
    }

    // ---- REMSInitiationRequest ----------------------------------------------------------------------

    private static async Task<IResult> InitiationAsync(WriteGate gate, Caller caller, XElement root, XElement m, Instant now, CancellationToken ct)
    {
        var s = Read(m);
        var (patient, decision, caseNumber) = await gate.RunAsync(async (db, audit, at) =>
        {
            var (p, a, how) = await ResolveAsync(db, caller, s, ct);
            if (p is null)
            {
                return ((Patient?)null, Decision.Deny(new Reason("REMS.PATIENT_NOT_ENROLLED", $"No enrolled patient was found ({how}).", Source)), (string?)null);
            }

            var (program, drug) = await ProgramAsync(db, p, s, a, ct);
            var facts = program is null ? null : await PatientFacts.LoadAsync(db, p.Id, program, at, ct);
            if (facts is null)
            {
                return (p, Decision.Deny(new Reason("REMS.PATIENT_NOT_ENROLLED", $"The patient is not enrolled in a REMS program for {drug ?? "this drug"}.", Source)), null);
            }

            var outcome = await RemsStatus.EvaluateAsync(db, caller, facts, drug!, at, null, null, ct);
            return (p, outcome.Decision, outcome.CaseNumber);
        }, ct);

        var response = new XElement("REMSInitiationResponse", ReferenceId(m), PatientBlock(s, patient, caseNumber), Echo(m));
        response.Add(decision.IsAllowed
            ? new XElement("Response", new XElement("ResponseStatus", new XElement("Open", new XElement("REMSCaseID", caseNumber))))
            : new XElement("Response", new XElement("ResponseStatus", new XElement("Closed",
                new XElement("ReasonCode", NcpdpMapping.PrimaryCode(decision)), new XElement("REMSNote", NcpdpMapping.Note(decision))))));
        return Xml(Envelope(root, now, response));
    }

    private static readonly RuleSource Source = RuleSource.Verified("REMS: only enrolled patients with a current authorization may be dispensed to (facts §2.2, §2.3)", "S");

    // ---- REMSRequest ---------------------------------------------------------------------------------

    private sealed record RequestAnswer(Patient? Patient, string? CaseNumber, Decision Decision, string? ConfirmationNumber, Instant? ExpiresAt, DateTimeZone Zone, Instant At);

    private static async Task<IResult> RemsRequestAsync(WriteGate gate, DenialNotices notices, Caller caller, XElement root, XElement m, CancellationToken ct)
    {
        var s = Read(m);
        var answer = await gate.RunAsync(async (db, audit, now) =>
        {
            var (p, a, how) = await ResolveAsync(db, caller, s, ct);
            if (p is null)
            {
                return new RequestAnswer(null, s.CaseId, Decision.Deny(new Reason("REMS.CASE_NOT_FOUND", $"No REMS case was found ({how}).", Source)), null, null, DateTimeZone.Utc, now);
            }

            var (program, drug) = await ProgramAsync(db, p, s, a, ct);
            var facts = program is null ? null : await PatientFacts.LoadAsync(db, p.Id, program, now, ct);
            if (facts is null)
            {
                return new RequestAnswer(p, s.CaseId, Decision.Deny(new Reason("REMS.PATIENT_NOT_ENROLLED", $"The patient is not enrolled in a REMS program for {drug ?? s.Drug ?? "this drug"}.", Source)), null, null, DateTimeZone.Utc, now);
            }

            var caseNumber = RemsStatus.CaseNumber(facts);
            if (s.Drug is not null && !facts.Program.Covers(s.Drug))
            {
                return new RequestAnswer(p, caseNumber, Decision.Deny(new Reason("REMS.DRUG_NOT_IN_PROGRAM", $"{s.Drug} is not covered by the {facts.Program.Name}.", Source)), null, null, facts.Program.Zone, now);
            }

            a ??= await RemsStatus.OpenAuthorizationAsync(db, p.Id, facts.Program.Id, ct);
            if (a is null)
            {
                // No authorization yet: say so, with what the prescriber survey would still refuse.
                var prescribing = RemsStatus.Prescribing(facts, drug!, now, facts.Program.MaxDaysSupply.Value, 0);
                var missing = new Reason("REMS.AUTHORIZATION_MISSING", "There is no prescription authorization: the prescriber must complete the prescriber survey first.", Source);
                var denial = Decision.Combine([Decision.Deny(missing), prescribing]);
                audit.Append(caller.AsActor(caller.PharmacyId), "confirmation.denied", $"patient/{p.Id}", audit.Data(new { channel = "ncpdp", decision = DecisionDto.From(denial) }));
                notices.Queue(db, audit, caller, facts, null, denial, now);
                return new RequestAnswer(p, caseNumber, denial, null, null, facts.Program.Zone, now);
            }

            // A retransmitted request for a confirmation this pharmacy already holds gets the same answer.
            if (a.State == nameof(AuthorizationState.Confirmed)
                && await db.Confirmations.FirstOrDefaultAsync(c => c.AuthorizationNumber == a.Number && c.PharmacyId == caller.PharmacyId && c.State == "active" && c.ExpiresAt > now, ct) is { } held)
            {
                return new RequestAnswer(p, caseNumber, Decision.Allow(), held.Number, held.ExpiresAt, facts.Program.Zone, now);
            }

            var decision = await RemsStatus.ConfirmAsync(db, facts, a, caller.PharmacyId!, now, ct);
            var dto = DecisionDto.From(decision.Decision);
            if (!decision.Decision.IsAllowed)
            {
                audit.Append(caller.AsActor(caller.PharmacyId), "confirmation.denied", $"authorization/{a.Number}", audit.Data(new { channel = "ncpdp", decision = dto }));
                notices.Queue(db, audit, caller, facts, a, decision.Decision, now);
                return new RequestAnswer(p, caseNumber, decision.Decision, null, null, facts.Program.Zone, now);
            }

            var number = await AuthorizationEndpoints.IssueConfirmationAsync(db, audit, caller, a, decision, dto, now, "ncpdp", ct);
            return new RequestAnswer(p, caseNumber, decision.Decision, number, decision.ExpiresAt, facts.Program.Zone, now);
        }, ct);

        var status = answer.Decision.IsAllowed && answer.ConfirmationNumber is not null
            ? new XElement("Approved",
                new XElement("REMSCaseID", answer.CaseNumber),
                new XElement("REMSAuthorizationNumber", answer.ConfirmationNumber),
                new XElement("AuthorizationPeriod",
                    new XElement("EffectiveDate", new XElement("Date", FhirFormat.Date(answer.At.InZone(answer.Zone).Date))),
                    new XElement("ExpirationDate", new XElement("Date", FhirFormat.Date(answer.ExpiresAt!.Value.InZone(answer.Zone).Date)))))
            : new XElement("Denied",
                new XElement("REMSCaseID", answer.CaseNumber ?? s.CaseId ?? string.Empty),
                new XElement("DeniedReasonCode", NcpdpMapping.PrimaryCode(answer.Decision)),
                new XElement("REMSNote", NcpdpMapping.Note(answer.Decision)));
        var response = new XElement("REMSResponse", ReferenceId(m), PatientBlock(s, answer.Patient, answer.CaseNumber), Echo(m),
            new XElement("Response", new XElement("ResponseStatus", status)));
        return Xml(Envelope(root, answer.At, response));
    }

    // ---- RxFill ----------------------------------------------------------------------------------------

    /// <summary>What an RxFill says was handed over: NDC, quantity and days supply, read leniently.</summary>
    private sealed record Fill(string? Ndc, int? Quantity, int? DaysSupply, string? Problem);

    private static Fill ReadFill(XElement m)
    {
        var d = m.Child("MedicationDispensed") ?? m.Child("MedicationPrescribed");
        var ndc = d.FirstText(["DrugCoded", "ProductCode", "Code"], ["DrugCoded", "NDC"], ["Product", "DrugCoded", "NDC"]);
        static int? Whole(string? text) =>
            decimal.TryParse(text, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var v) && v == decimal.Truncate(v) && v is >= 0 and <= 100_000
                ? (int)v : null;
        var quantityText = d.FirstText(["Quantity", "Value"]);
        var daysText = d.FirstText(["DaysSupply"]);
        var quantity = Whole(quantityText);
        var days = Whole(daysText);
        var problem = ndc is null ? "MedicationDispensed has no NDC (DrugCoded/ProductCode/Code)."
            : quantity is null ? $"MedicationDispensed/Quantity/Value '{quantityText}' is not a whole number."
            : daysText is not null && days is null ? $"MedicationDispensed/DaysSupply '{daysText}' is not a whole number."
            : null;
        return new Fill(ndc, quantity, days, problem);
    }

    private sealed record FillAnswer(bool Recorded, string Code, string Description);

    /// <summary>
    /// RxFill records the dispense against this pharmacy's open confirmation for the patient, through
    /// the same AuthorizationEndpoints.DispenseAsync (and DispensingRules.Dispense) as the JSON API.
    /// RxFill carries no counseling checklist, so the checklist must already be recorded against the
    /// confirmation (POST /api/v1/confirmations/{number}/counseling); without it the fill is refused
    /// with EC and nothing is recorded. Days supply, when the message omits it (PIMS does), is the
    /// authorized days supply. A repeated RxFill after the dispense is acknowledged (000) again.
    /// </summary>
    private static async Task<IResult> RxFillAsync(WriteGate gate, Caller caller, XElement root, XElement m, Instant now, CancellationToken ct)
    {
        // FillStatus says what happened (Dispensed, PartiallyDispensed, NotDispensed, Transferred). Only a
        // dispense is recorded; a fill that was not dispensed is acknowledged and changes nothing.
        if (m.Child("FillStatus")?.Elements().FirstOrDefault() is { } fillStatus
            && fillStatus.Name.LocalName.ToUpperInvariant() is "NOTDISPENSED" or "TRANSFERRED")
        {
            return Xml(Envelope(root, now, new XElement("Status", new XElement("Code", "000"),
                new XElement("Description", $"Fill status {fillStatus.Name.LocalName}: no dispense was recorded; an open confirmation stays open until it is used or expires."))));
        }

        var s = Read(m);
        var fill = ReadFill(m);
        var answer = await gate.RunAsync(async (db, audit, at) =>
        {
            var (p, a, _) = await ResolveAsync(db, caller, s, ct);
            if (p is null)
            {
                return new FillAnswer(false, "EC", "No enrolled patient matches this fill (case number, or name and birth date).");
            }

            var numbers = a is null ? db.Authorizations.Where(x => x.PatientId == p.Id).Select(x => x.Number) : db.Authorizations.Where(x => x.Number == a.Number).Select(x => x.Number);
            var c = await db.Confirmations.Where(x => numbers.Contains(x.AuthorizationNumber) && x.PharmacyId == caller.PharmacyId && x.State == "active")
                .OrderByDescending(x => x.IssuedAt).FirstOrDefaultAsync(ct);
            if (c is null)
            {
                var done = await db.Dispenses.AsNoTracking().Where(x => x.PatientId == p.Id && x.PharmacyId == caller.PharmacyId && numbers.Contains(x.AuthorizationNumber))
                    .OrderByDescending(x => x.At).FirstOrDefaultAsync(ct);
                return done is null
                    ? new FillAnswer(false, "EC", "[REMS.CONFIRMATION_MISSING] This pharmacy holds no open confirmation for this patient: obtain one (REMSRequest), record the counseling, then send the RxFill.")
                    : new FillAnswer(true, "000", $"Dispense {done.Id} of {done.DispensedOn:yyyy-MM-dd} is on record (confirmation {done.ConfirmationNumber}).");
            }

            var auth = await db.Authorizations.AsNoTracking().FirstAsync(x => x.Number == c.AuthorizationNumber, ct);
            Ndc? ndc = null;
            string? ndcError = null;
            if (fill.Problem is not null || !Ndc.TryParse(fill.Ndc, out ndc, out ndcError))
            {
                return new FillAnswer(false, "EC", $"[REMS.FILL_INVALID] {fill.Problem ?? ndcError} Nothing was recorded against confirmation {c.Number}.");
            }

            if (AuthorizationEndpoints.RecordedCounseling(c) is not { } checklist)
            {
                var missing = Decision.Deny(new Reason("REMS.COUNSELING_NOT_RECORDED",
                    $"No counseling checklist is recorded for confirmation {c.Number}; an RxFill carries none. Record it (POST /api/v1/confirmations/{c.Number}/counseling) and resend the RxFill.",
                    CounselingSource));
                audit.Append(caller.AsActor(caller.PharmacyId), "dispense.refused", $"authorization/{c.AuthorizationNumber}",
                    audit.Data(new { confirmation = c.Number, channel = "ncpdp", decision = DecisionDto.From(missing) }));
                return new FillAnswer(false, NcpdpMapping.PrimaryCode(missing), NcpdpMapping.Note(missing));
            }

            var request = new Rems.DispenseRequest(ndc!.Value.Value, fill.Quantity!.Value, fill.DaysSupply ?? auth.DaysSupply, checklist);
            RemsNumber.TryParse(c.Number, 'C', out var number, out _);
            var reply = await AuthorizationEndpoints.DispenseAsync(caller, number!.Value, ndc.Value, request, db, audit, at, ct);
            return reply.Body switch
            {
                DispenseDto d => new FillAnswer(true, "000", $"Dispense {d.Id} recorded against confirmation {d.ConfirmationNumber}: NDC {d.Ndc}, quantity {d.Quantity}, {d.DaysSupply} days supply."),
                ProblemDto { Decision: { } decision } => new FillAnswer(false, NcpdpMapping.PrimaryCode(decision.Reasons.Select(r => r.Code)),
                    NcpdpMapping.Note(decision.Reasons.Select(r => (r.Code, r.Message)))),
                ProblemDto problem => new FillAnswer(false, "EC", problem.Detail ?? problem.Title),
                _ => new FillAnswer(false, "ER", "The dispense could not be recorded."),
            };
        }, ct);

        return answer.Recorded
            ? Xml(Envelope(root, now, new XElement("Status", new XElement("Code", "000"), new XElement("Description", answer.Description))))
            : Error(200, answer.Code, answer.Description, now, root);
    }

    private static readonly RuleSource CounselingSource = RuleSource.Verified(
        "REMS: the pharmacy counsels the patient and completes the Education and Counseling Checklist before dispensing (facts §2.2, §7.1)", "S");
}
