using System.Security.Cryptography;
using ImidCare.Rules;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

public sealed record AuthorizeRequest(string PatientId, string Drug, int DaysSupply, int Refills, bool CounselingAttested, string? PrescriberId = null);

public sealed record AuthorizationDto(
    string Number,
    string PatientId,
    string Program,
    string Drug,
    RiskCategory Category,
    int DaysSupply,
    Instant IssuedAt,
    LocalDate ValidThrough,
    Instant ExpiresAt,
    string State,
    DecisionDto Decision);

public sealed record AuthorizationStatusDto(
    string Number,
    string State,
    string Program,
    string Drug,
    RiskCategory Category,
    int DaysSupply,
    LocalDate ValidThrough,
    Instant ExpiresAt,
    string PatientName,
    LocalDate PatientDateOfBirth,
    DecisionDto? WouldConfirm);

public sealed record ConfirmationDto(
    string Number,
    string AuthorizationNumber,
    string PharmacyId,
    Instant IssuedAt,
    Instant ExpiresAt,
    RiskCategory Category,
    string PatientName,
    LocalDate PatientDateOfBirth,
    DecisionDto Decision);

public sealed record DispenseRequest(string Ndc, int Quantity, int DaysSupply, CounselingChecklist Checklist);

public sealed record DispenseDto(string Id, string ConfirmationNumber, string AuthorizationNumber, string Ndc, int Quantity, int DaysSupply, LocalDate DispensedOn, Instant At, DecisionDto Decision);

/// <summary>The one-step answer: the confirmation as obtained, and the dispense recorded against it, each with its decision.</summary>
public sealed record ConfirmedDispenseDto(ConfirmationDto Confirmation, DispenseDto Dispense);

public sealed record ReverseRequest(string Reason);

/// <summary>
/// The two-number handshake: the prescriber survey yields an authorization number; a certified
/// pharmacy presents it for a confirmation number (valid 24 h), counsels, and dispenses.
/// </summary>
public static class AuthorizationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/authorizations", Authorize).WithSummary("The prescriber survey: every REMS condition checked; an authorization number when all hold.");
        api.MapGet("/authorizations/{number}", Status).WithSummary("An authorization's status, and whether this pharmacy could confirm it now.");
        api.MapPost("/authorizations/{number}/confirmations", Confirm).WithSummary("A certified pharmacy obtains a confirmation number (valid 24 hours).");
        api.MapPost("/authorizations/{number}/dispense", ConfirmAndDispense)
            .WithSummary("Confirm and dispense in one step: a confirmation number obtained and used in the same commit, with the counseling checklist, or nothing written.");
        api.MapPost("/confirmations/{number}/counseling", RecordCounseling).WithSummary("Record the counseling checklist against a confirmation, before a fill that carries none (an NCPDP RxFill).");
        api.MapPost("/confirmations/{number}/dispense", Dispense).WithSummary("Record the dispense with the counseling checklist.");
        api.MapPost("/confirmations/{number}/reverse", Reverse).WithSummary("Reverse an unused confirmation; the authorization can be confirmed again.");
    }

    public static string EffectiveState(AuthorizationRecord a, Instant now) =>
        a.State == nameof(AuthorizationState.Active) && now >= a.ExpiresAt ? "Expired" : a.State;

    // Random: any certified pharmacy may look an authorization up by its number (confirmation numbers count up: ConfirmationNumbers).
    private static string NewAuthorizationNumber() => RemsNumber.Create('A', RandomNumberGenerator.GetInt32(100_000_000, 1_000_000_000)).Value;

    private static async Task<IResult> Authorize(HttpContext http, AuthorizeRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPrescriberSide)
        {
            return Problems.Forbidden("Only a prescriber (or their office) completes the prescriber survey.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => AuthorizeAsync(caller, req, db, audit, now, http.RequestAborted));
    }

    internal static async Task<Reply> AuthorizeAsync(Caller caller, AuthorizeRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == req.PatientId);
        if (patient is null)
        {
            return Problems.Validation("patientId", "No such patient.");
        }

        var prescriberId = await Access.ActingPrescriberAsync(db, caller, req.PrescriberId ?? patient.PrescriberId, ct);
        if (prescriberId is null || prescriberId != patient.PrescriberId)
        {
            return Problems.Forbidden("Only the patient's own prescriber may authorize their prescription.");
        }

        var program = ProgramCatalog.ForDrug(req.Drug);
        var facts = await PatientFacts.LoadAsync(db, patient.Id, program, now, ct);
        if (program is null || facts is null)
        {
            return Problems.Refused(
                Decision.Deny(new Reason("REMS.PATIENT_NOT_ENROLLED", $"The patient is not enrolled in a program for '{req.Drug}'.", RuleSource.Verified("REMS: patients are enrolled per program (facts §2.3)", "S"))),
                "No authorization.");
        }

        var decision = AuthorizationRules.Evaluate(new AuthorizationFacts(
            program, now, req.Drug, facts.PrescriberCertification, Enum.Parse<EnrollmentStatus>(facts.Enrollment.Status), facts.Category,
            facts.AgreementSigned, facts.Holds, facts.Tests, facts.FirstPrescription, facts.LastPatientSurvey, req.DaysSupply, req.Refills,
            req.CounselingAttested, facts.MissedWindows));
        var dto = DecisionDto.From(decision.Decision);
        if (!decision.Decision.IsAllowed)
        {
            audit.Append(caller.AsActor(prescriberId), "authorization.denied", $"patient/{patient.Id}", audit.Data(new { req.Drug, req.DaysSupply, decision = dto }));
            return Problems.Refused(decision.Decision, decision.Decision.Outcome == Outcome.Hold ? "The patient is on hold: no authorization." : "No authorization: REMS conditions are not met.");
        }

        var number = NewAuthorizationNumber();
        while (await db.Authorizations.AnyAsync(a => a.Number == number))
        {
            number = NewAuthorizationNumber();
        }

        var auth = new AuthorizationRecord
        {
            Number = number, PatientId = patient.Id, PrescriberId = prescriberId, ProgramId = program.Id, Drug = req.Drug.Trim().ToLowerInvariant(),
            Category = facts.Category.ToString(), DaysSupply = req.DaysSupply, IssuedAt = now, ValidThrough = decision.ValidOn!.End,
            ExpiresAt = decision.ExpiresAt!.Value, AnchorTestDate = decision.AnchorTest?.SpecimenAt.InZone(program.Zone).Date,
            State = nameof(AuthorizationState.Active), Version = 1,
        };
        db.Authorizations.Add(auth);
        audit.Append(caller.AsActor(prescriberId), "authorization.issued", $"authorization/{number}",
            audit.Data(new { patient = patient.Id, program = program.Id, auth.Drug, auth.DaysSupply, auth.ValidThrough, auth.ExpiresAt, decision = dto }));
        return Reply.Created(new AuthorizationDto(number, patient.Id, program.Id, auth.Drug, facts.Category, auth.DaysSupply, now, auth.ValidThrough, auth.ExpiresAt, auth.State, dto));
    }

    private static async Task<IResult> Status(HttpContext http, string number, SqlSessionPool sessions, StatusCache cache, IClock clock, CancellationToken ct)
    {
        if (!RemsNumber.TryParse(number, 'A', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        var caller = http.Caller();
        var now = clock.GetCurrentInstant();
        if (caller.IsPharmacy && cache.TryGet(parsed.Value.Value, caller.PharmacyId!, now, out var known))
        {
            return CounterStatusResult(known.Authorization, known.Patient, known.Facts, now);
        }

        // Read before the facts: a write that lands while they are read makes the entry stale at once.
        var before = DataGeneration.Before();

        // The pharmacy counter's most frequent call: a kept-open connection whose statements are already prepared.
        var session = await sessions.RentAsync(ct);
        var healthy = false;
        try
        {
            var result = caller.IsPharmacy
                ? await CounterStatusAsync(session.Db, parsed.Value, caller.PharmacyId!, cache, before, now, ct)
                : await PatientSideStatusAsync(session.Db, parsed.Value, caller, now, ct);
            healthy = true;
            return result;
        }
        finally
        {
            await sessions.ReturnAsync(session, healthy);
        }
    }

    /// <summary>A pharmacy holding the number (it is written on the prescription) may look it up, with whether it could confirm now.</summary>
    private static async Task<IResult> CounterStatusAsync(ImidCareDb db, RemsNumber number, string pharmacyId, StatusCache cache, DataGeneration.ReadStart before, Instant now, CancellationToken ct)
    {
        if (await FactsQuery.AtCounterAsync(db, number.Value, pharmacyId, now, ct) is not var (a, patient, facts))
        {
            return Problems.NotFound($"Authorization {number}").ToResult();
        }

        cache.Put(before, pharmacyId, a, patient, facts);
        return CounterStatusResult(a, patient, facts, now);
    }

    /// <summary>The counter's answer: the status, and whether the pharmacy could confirm now, decided afresh at <paramref name="now"/> (from cached facts too).</summary>
    private static IResult CounterStatusResult(AuthorizationRecord a, Patient patient, ConfirmationFacts facts, Instant now) =>
        Results.Json(StatusDto(a, patient, EffectiveState(a, now), DecisionDto.From(DispensingRules.Confirm(facts).Decision)), Json.Options);

    /// <summary>Anyone else sees an authorization only for their own patients.</summary>
    private static async Task<IResult> PatientSideStatusAsync(ImidCareDb db, RemsNumber number, Caller caller, Instant now, CancellationToken ct)
    {
        if (await FactsQuery.AuthorizationAsync(db, number.Value, ct) is not var (a, patient))
        {
            return Problems.NotFound($"Authorization {number}").ToResult();
        }

        return await Access.CanSeePatientAsync(db, caller, patient, ct)
            ? Results.Json(StatusDto(a, patient, EffectiveState(a, now), null), Json.Options)
            : Problems.Forbidden("Not your patient's authorization.").ToResult();
    }

    private static AuthorizationStatusDto StatusDto(AuthorizationRecord a, Patient patient, string state, DecisionDto? would) =>
        new(a.Number, state, a.ProgramId, a.Drug, Enum.Parse<RiskCategory>(a.Category), a.DaysSupply, a.ValidThrough, a.ExpiresAt, patient.Name, patient.DateOfBirth, would);

    /// <summary>What the pharmacy's confirmation is decided on when the patient's facts are already loaded (FHIR); the counter reads them with <see cref="FactsQuery.AtCounterAsync"/>.</summary>
    internal static async Task<ConfirmationFacts> ConfirmationFactsAsync(ImidCareDb db, PatientFacts facts, AuthorizationRecord a, string pharmacyId, Instant now, CancellationToken ct)
    {
        // The patient's facts are in hand: only the counter's are read.
        var counter = await FactsQuery.CounterAsync(db, facts.Program.Id, pharmacyId, a.PrescriberId, ct);
        return ConfirmationFacts(facts.Program, Enum.Parse<EnrollmentStatus>(facts.Enrollment.Status), facts.Holds, facts.LastPatientSurvey, facts.LastDispense, counter, a, now);
    }

    internal static ConfirmationFacts ConfirmationFacts(
        ProgramRules program, EnrollmentStatus? enrollment, IReadOnlyList<OpenHold> holds, LocalDate? lastSurvey, PreviousDispense? lastDispense,
        FactsQuery.CounterFacts counter, AuthorizationRecord a, Instant now) =>
        new(
            program, now, counter.Pharmacy, Enum.Parse<AuthorizationState>(a.State),
            // A declared outage stops the authorization's clock (the rule is pure; the outages are facts).
            OutageRules.Extend(a.IssuedAt, a.ExpiresAt, counter.Outages),
            counter.AuthorizationPrescriber, enrollment,
            Enum.Parse<RiskCategory>(a.Category), holds, lastDispense is null, lastSurvey, lastDispense, a.ExpiresAt);

    private static async Task<IResult> Confirm(HttpContext http, string number, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPharmacy)
        {
            return Problems.Forbidden("Only a pharmacy obtains a confirmation number.").ToResult();
        }

        if (!RemsNumber.TryParse(number, 'A', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        // Writes only the patient's rows (DataGeneration.WritingFor below): other patients' cached status stays.
        return await Writes.RunAsync(http, gate, new { number = parsed.Value.Value }, (db, audit, now) => ConfirmAsync(caller, parsed.Value, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> ConfirmAsync(Caller caller, RemsNumber parsed, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if (await FactsQuery.AtCounterAsync(db, parsed.Value, caller.PharmacyId!, now, ct) is not var (a, patient, facts))
        {
            return Problems.NotFound($"Authorization {parsed}");
        }

        var decision = DispensingRules.Confirm(facts);
        var dto = DecisionDto.From(decision.Decision);
        if (!decision.Decision.IsAllowed)
        {
            return ConfirmationRefused(caller, audit, a, decision.Decision, dto);
        }

        var confirmation = await IssueConfirmationAsync(db, audit, caller, a, decision, dto, now, "api", ct);
        return Reply.Created(new ConfirmationDto(confirmation, a.Number, caller.PharmacyId!, now, decision.ExpiresAt!.Value, Enum.Parse<RiskCategory>(a.Category),
            patient.Name, patient.DateOfBirth, dto));
    }

    /// <summary>A refused confirmation: audited with its decision; 409 when the authorization is already used, 422 otherwise.</summary>
    private static Reply ConfirmationRefused(Caller caller, AuditWriter audit, AuthorizationRecord a, Decision decision, DecisionDto dto)
    {
        audit.Append(caller.AsActor(caller.PharmacyId), "confirmation.denied", $"authorization/{a.Number}", audit.Data(new { decision = dto }));
        var stateConflict = decision.Reasons.Any(r => r.Code is "REMS.AUTHORIZATION_ALREADY_CONFIRMED" or "REMS.AUTHORIZATION_ALREADY_DISPENSED");
        return stateConflict
            ? Problems.Conflict("The authorization is already used.", string.Join(" ", decision.Reasons.Select(r => r.Message)), decision)
            : Problems.Refused(decision, "Do not dispense: no confirmation.");
    }

    /// <summary>
    /// Writes an allowed confirmation: a fresh number, the authorization marked confirmed, the audit record. One place for every channel.
    /// <paramref name="dto"/> is the decision as the caller answers it, so the record holds the same value.
    /// </summary>
    internal static async Task<string> IssueConfirmationAsync(ImidCareDb db, AuditWriter audit, Caller caller, AuthorizationRecord a, ConfirmationDecision decision, DecisionDto dto, Instant now, string channel, CancellationToken ct)
    {
        DataGeneration.WritingFor(a.PatientId);
        var confirmation = await ConfirmationNumbers.NextAsync(db, ct);
        while (!await CounterSql.InsertConfirmationAsync(db, confirmation, a.Number, a.Version, caller.PharmacyId!, now, decision.ExpiresAt!.Value, ct))
        {
            confirmation = await ConfirmationNumbers.NextAsync(db, ct, taken: true);
        }

        CounterSql.Forget(db, a);
        a.State = nameof(AuthorizationState.Confirmed);
        a.Version++;
        ConfirmationIssued(audit, caller, a.Number, confirmation, decision.ExpiresAt!.Value, channel, dto);
        return confirmation;
    }

    /// <summary>
    /// A confirmation's audit record, one shape for every channel. The decision is kept here only,
    /// in the record the hash chain protects (docs/decisions/0004-decision-stored-once.md).
    /// </summary>
    private static void ConfirmationIssued(AuditWriter audit, Caller caller, string authorization, string confirmation, Instant expiresAt, string channel, DecisionDto dto) =>
        audit.Append(caller.AsActor(caller.PharmacyId), "confirmation.issued", $"authorization/{authorization}",
            audit.Data(new { confirmation, pharmacy = caller.PharmacyId, expiresAt, channel, decision = dto }));

    private static async Task<IResult> RecordCounseling(HttpContext http, string number, CounselingChecklist req, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPharmacy)
        {
            return Problems.Forbidden("Only the pharmacy that obtained a confirmation records its counseling.").ToResult();
        }

        if (!RemsNumber.TryParse(number, 'C', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => RecordCounselingAsync(caller, parsed.Value, req, db, audit, now, http.RequestAborted));
    }

    /// <summary>
    /// Keeps the checklist with the confirmation, so a later fill message (RxFill has no place for
    /// it) can record the dispense. Completeness is judged when the dispense is recorded, by the
    /// same DispensingRules.Dispense as every other dispense; recording it again replaces it.
    /// </summary>
    internal static async Task<Reply> RecordCounselingAsync(Caller caller, RemsNumber parsed, CounselingChecklist req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var c = await db.Confirmations.FirstOrDefaultAsync(x => x.Number == parsed.Value, ct);
        if (c is null)
        {
            return Problems.NotFound($"Confirmation {parsed}");
        }

        if (c.PharmacyId != caller.PharmacyId)
        {
            return Problems.Forbidden("This confirmation belongs to another pharmacy.");
        }

        if (c.State != "active")
        {
            return Problems.Conflict("Counseling is recorded before the dispense, against an unused confirmation.", $"This confirmation is {c.State}.");
        }

        c.CounselingJson = AuditData.Of(req);
        c.CounseledAt = now;
        c.Version++;
        audit.Append(caller.AsActor(caller.PharmacyId), "counseling.recorded", $"authorization/{c.AuthorizationNumber}", audit.Data(new { confirmation = c.Number, checklist = req }));
        return Reply.Ok(new { confirmation = c.Number, counseledAt = now, checklist = req });
    }

    /// <summary>The checklist recorded against a confirmation, or null.</summary>
    internal static CounselingChecklist? RecordedCounseling(ConfirmationRecord c) =>
        c.CounselingJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<CounselingChecklist>(c.CounselingJson, Json.Options);

    private static async Task<IResult> Dispense(HttpContext http, string number, DispenseRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPharmacy)
        {
            return Problems.Forbidden("Only a pharmacy records a dispense.").ToResult();
        }

        if (!RemsNumber.TryParse(number, 'C', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        if (!Ndc.TryParse(req.Ndc, out var ndc, out var ndcError))
        {
            return Problems.Validation("ndc", ndcError!).ToResult();
        }

        // Writes only the patient's rows (DataGeneration.WritingFor below): other patients' cached status stays.
        return await Writes.RunAsync(http, gate, req, (db, audit, now) => DispenseAsync(caller, parsed.Value, ndc!.Value, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    internal static async Task<Reply> DispenseAsync(Caller caller, RemsNumber parsed, Ndc ndc, DispenseRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var c = await CounterSql.DispenseContextAsync(db, parsed.Value, ct);
        if (c is null)
        {
            return Problems.NotFound($"Confirmation {parsed}");
        }

        if (c.PharmacyId != caller.PharmacyId)
        {
            return Problems.Forbidden("This confirmation belongs to another pharmacy.");
        }

        var program = ProgramCatalog.Find(c.ProgramId)!;
        var category = Enum.Parse<RiskCategory>(c.Category);
        var decision = DispensingRules.Dispense(new DispenseFacts(
            program, now, c.State == "active", OutageRules.Extend(c.IssuedAt, c.ExpiresAt, c.Outages), true, c.AuthorizedDaysSupply, req.DaysSupply, req.Quantity, category, req.Checklist));
        var dto = DecisionDto.From(decision);
        if (!decision.IsAllowed)
        {
            audit.Append(caller.AsActor(caller.PharmacyId), "dispense.refused", $"authorization/{c.AuthorizationNumber}", audit.Data(new { confirmation = c.Number, decision = dto }));
            return c.State == "dispensed"
                ? Problems.Conflict("This confirmation was already dispensed.", "A confirmation is used once.", decision)
                : Problems.Refused(decision, "The dispense cannot be recorded.");
        }

        var record = NewDispense(c.Number, c.AuthorizationNumber, c.PatientId, c.PharmacyId, ndc, req, ProgramTime.Today(now, program.Zone), now);
        DataGeneration.WritingFor(c.PatientId);
        await CounterSql.RecordDispenseAsync(db, record, c, ct);
        return Reply.Created(DispenseRecorded(audit, caller, record, ndc, dto));
    }

    /// <summary>The dispense row an allowed decision writes, the same for two steps and one.</summary>
    private static DispenseRecord NewDispense(string confirmation, string authorization, string patientId, string pharmacyId, Ndc ndc, DispenseRequest req, LocalDate today, Instant now) => new()
    {
        Id = Ids.Ordered("dsp", now), ConfirmationNumber = confirmation, AuthorizationNumber = authorization, PatientId = patientId, PharmacyId = pharmacyId,
        Ndc = ndc.Value, Quantity = req.Quantity, DaysSupply = req.DaysSupply, DispensedOn = today, At = now, ChecklistJson = AuditData.Of(req.Checklist),
    };

    /// <summary>A written dispense's audit record and answer, one shape whichever endpoint wrote it.</summary>
    private static DispenseDto DispenseRecorded(AuditWriter audit, Caller caller, DispenseRecord record, Ndc ndc, DecisionDto dto)
    {
        audit.Append(caller.AsActor(caller.PharmacyId), "dispense.recorded", $"authorization/{record.AuthorizationNumber}",
            audit.Data(new
            {
                record.Id, confirmation = record.ConfirmationNumber, ndc = record.Ndc, record.Quantity, record.DaysSupply, record.DispensedOn,
                checklist = new Json.RawJson(record.ChecklistJson), decision = dto,
            }));
        return new DispenseDto(record.Id, record.ConfirmationNumber, record.AuthorizationNumber, ndc.ToString(), record.Quantity, record.DaysSupply, record.DispensedOn, record.At, dto);
    }

    private static async Task<IResult> ConfirmAndDispense(HttpContext http, string number, DispenseRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPharmacy)
        {
            return Problems.Forbidden("Only a pharmacy confirms and dispenses.").ToResult();
        }

        if (!RemsNumber.TryParse(number, 'A', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        if (!Ndc.TryParse(req.Ndc, out var ndc, out var ndcError))
        {
            return Problems.Validation("ndc", ndcError!).ToResult();
        }

        // Writes only the patient's rows (DataGeneration.WritingFor below): other patients' cached status stays.
        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ConfirmAndDispenseAsync(caller, parsed.Value, ndc!.Value, req, db, audit, now, http.RequestAborted), scoped: true);
    }

    /// <summary>
    /// The two steps of the counter decided and written together, for a pharmacy system that has
    /// counseled the patient and dispenses now: the confirmation is decided as POST …/confirmations
    /// decides it, the dispense as POST /confirmations/{number}/dispense decides it against that
    /// confirmation, and either both are written in one commit (the confirmation already used, the
    /// authorization dispensed) or nothing is. The audit trail holds the same two records as two
    /// steps would, the confirmation's with channel "api-one-step". Whether the programs' "dispense
    /// confirmation" is a report separate from obtaining the number is open in the fact sheet (Q3);
    /// this serves both readings: each number is issued, checked and recorded, in the order the
    /// programs ask (docs/rems-rules.md, "Confirm and dispense in one step").
    /// </summary>
    internal static async Task<Reply> ConfirmAndDispenseAsync(Caller caller, RemsNumber parsed, Ndc ndc, DispenseRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if (await FactsQuery.AtCounterAsync(db, parsed.Value, caller.PharmacyId!, now, ct) is not var (a, patient, facts))
        {
            return Problems.NotFound($"Authorization {parsed}");
        }

        var confirm = DispensingRules.Confirm(facts);
        var confirmDto = DecisionDto.From(confirm.Decision);
        if (!confirm.Decision.IsAllowed)
        {
            return ConfirmationRefused(caller, audit, a, confirm.Decision, confirmDto);
        }

        var program = facts.Program;
        var category = Enum.Parse<RiskCategory>(a.Category);
        var expiresAt = confirm.ExpiresAt!.Value;
        var dispense = DispensingRules.Dispense(new DispenseFacts(program, now, true, expiresAt, true, a.DaysSupply, req.DaysSupply, req.Quantity, category, req.Checklist));
        var dispenseDto = DecisionDto.From(dispense);
        if (!dispense.IsAllowed)
        {
            // The confirmation would have been allowed, but it is not issued: one step is all or nothing.
            audit.Append(caller.AsActor(caller.PharmacyId), "dispense.refused", $"authorization/{a.Number}", audit.Data(new { confirmation = (string?)null, decision = dispenseDto }));
            return Problems.Refused(dispense, "The dispense cannot be recorded: no confirmation was issued and the authorization is unchanged.");
        }

        DataGeneration.WritingFor(a.PatientId);
        var record = NewDispense(await ConfirmationNumbers.NextAsync(db, ct), a.Number, a.PatientId, caller.PharmacyId!, ndc, req, ProgramTime.Today(now, program.Zone), now);
        // When the number is taken nothing was written, and another is drawn.
        while (!await CounterSql.RecordConfirmedDispenseAsync(db, record, expiresAt, a.Version, a.ProgramId, ct))
        {
            record.ConfirmationNumber = await ConfirmationNumbers.NextAsync(db, ct, taken: true);
        }

        var confirmation = record.ConfirmationNumber;
        ConfirmationIssued(audit, caller, a.Number, confirmation, expiresAt, "api-one-step", confirmDto);
        return Reply.Created(new ConfirmedDispenseDto(
            new ConfirmationDto(confirmation, a.Number, caller.PharmacyId!, now, expiresAt, category, patient.Name, patient.DateOfBirth, confirmDto),
            DispenseRecorded(audit, caller, record, ndc, dispenseDto)));
    }

    private static async Task<IResult> Reverse(HttpContext http, string number, ReverseRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (!caller.IsPharmacy)
        {
            return Problems.Forbidden("Only the pharmacy that obtained a confirmation reverses it.").ToResult();
        }

        if (!RemsNumber.TryParse(number, 'C', out var parsed, out var error))
        {
            return Problems.Validation("number", error!).ToResult();
        }

        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            return Problems.Validation("reason", "A reason is required.").ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ReverseAsync(caller, parsed.Value, req, db, audit, now, http.RequestAborted));
    }

    internal static async Task<Reply> ReverseAsync(Caller caller, RemsNumber parsed, ReverseRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var c = await db.Confirmations.FirstOrDefaultAsync(x => x.Number == parsed.Value);
        if (c is null)
        {
            return Problems.NotFound($"Confirmation {parsed}");
        }

        if (c.PharmacyId != caller.PharmacyId)
        {
            return Problems.Forbidden("This confirmation belongs to another pharmacy.");
        }

        if (c.State != "active")
        {
            return Problems.Conflict("Only an unused confirmation can be reversed.", $"This confirmation is {c.State}.");
        }

        var a = await db.Authorizations.FirstAsync(x => x.Number == c.AuthorizationNumber);
        c.State = "reversed";
        c.Version++;
        if (a.State == nameof(AuthorizationState.Confirmed))
        {
            a.State = nameof(AuthorizationState.Active);
            a.Version++;
        }

        audit.Append(caller.AsActor(caller.PharmacyId), "confirmation.reversed", $"authorization/{a.Number}", audit.Data(new { confirmation = c.Number, req.Reason }));
        return Reply.Ok(new { confirmation = c.Number, state = c.State, authorization = a.Number, authorizationState = EffectiveState(a, now) });
    }
}
