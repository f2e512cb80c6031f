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

/// <summary>
/// The fields of an FDA MedWatch (Form 3500 / 3500A) report that a REMS pregnancy or adverse-event
/// report carries. Free text stays free text; dates are dates.
/// </summary>
public sealed record MedWatchFields(
    string EventDescription,
    IReadOnlyList<string> Outcomes,
    string SuspectProduct,
    string ReporterName,
    string ReporterOccupation,
    LocalDate? EventDate = null,
    string? Dose = null,
    string? Frequency = null,
    string? Route = null,
    LocalDate? TherapyStartDate = null,
    LocalDate? TherapyStopDate = null,
    string? LotNumber = null,
    string? RelevantHistory = null,
    string? ReporterPhone = null,
    double? WeightKg = null);

public sealed record PregnancyReportRequest(bool PartnerPregnancy, MedWatchFields MedWatch, LocalDate? LastMenstrualPeriod = null);

public sealed record AdverseEventRequest(string PatientId, bool Serious, MedWatchFields MedWatch);

public sealed record CaseStatusRequest(string Status, string Reason);

public sealed record PregnancyReportReply(string CaseId, int AuthorizationsStopped, string Hold, string ClearedBy, string ReportTo);

public sealed record CaseDto(string Id, string Kind, string PatientId, string ReportedBy, Instant OpenedAt, string Status, object Fields);

/// <summary>Pregnancy and adverse-event reports: a suspected pregnancy stops every authorization at once.</summary>
public static class SafetyEndpoints
{
    /// <summary>The hold a pregnancy report opens; for a patient who can get pregnant it also means stop taking the medicine.</summary>
    public const string PregnancyHold = "PREGNANCY_REPORTED";

    /// <summary>Whether the patient was reported pregnant herself (a male patient's report is about a partner): she stops taking it.</summary>
    public static bool StopsTheMedicine(bool canGetPregnant, IEnumerable<string> openHoldCodes) => canGetPregnant && openHoldCodes.Contains(PregnancyHold);

    private static readonly string[] KnownOutcomes = ["death", "life-threatening", "hospitalization", "disability", "congenital-anomaly", "required-intervention", "other"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/patients/{id}/pregnancy-reports", ReportPregnancy).WithSummary("Report a suspected pregnancy (patient or partner): all authorizations stop and a case opens.");
        api.MapPost("/adverse-events", ReportAdverseEvent).WithSummary("Report an adverse event with its MedWatch fields.");
        api.MapPost("/cases/{id}/status", ChangeCaseStatus).WithSummary("Move a case to under-review, closed or open again, with a reason (safety staff and administrators).");
        api.MapGet("/cases", ListCases).WithSummary("Pregnancy and adverse-event cases (safety staff and administrators).");
    }

    private static Dictionary<string, string[]> Validate(MedWatchFields m)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(m.EventDescription))
        {
            errors["medWatch.eventDescription"] = ["Describe the event."];
        }

        if (string.IsNullOrWhiteSpace(m.SuspectProduct))
        {
            errors["medWatch.suspectProduct"] = ["Name the suspect product."];
        }

        if (string.IsNullOrWhiteSpace(m.ReporterName))
        {
            errors["medWatch.reporterName"] = ["The reporter's name is required."];
        }

        if (m.Outcomes.Any(o => !KnownOutcomes.Contains(o)))
        {
            errors["medWatch.outcomes"] = [$"Outcomes are any of: {string.Join(", ", KnownOutcomes)}."];
        }

        if (m.WeightKg is <= 0 or > 500)
        {
            errors["medWatch.weightKg"] = ["Weight is between 0 and 500 kg."];
        }

        return errors;
    }

    /// <summary>
    /// The report's dates are facts already past: a date after today is a slip of the calendar
    /// (it would also date the case's clock wrong), and a therapy cannot stop before it started.
    /// "Today" is the patient's program's, as every REMS window counts it.
    /// </summary>
    private static Dictionary<string, string[]> ValidateDates(MedWatchFields m, LocalDate? lastMenstrualPeriod, LocalDate today)
    {
        var errors = new Dictionary<string, string[]>();
        var after = $"The date cannot be after today ({Fmt.Date(today)}).";
        if (m.EventDate > today)
        {
            errors["medWatch.eventDate"] = [after];
        }

        if (m.TherapyStartDate > today)
        {
            errors["medWatch.therapyStartDate"] = [after];
        }

        if (m.TherapyStopDate > today)
        {
            errors["medWatch.therapyStopDate"] = [after];
        }
        else if (m.TherapyStopDate < m.TherapyStartDate)
        {
            errors["medWatch.therapyStopDate"] = ["The therapy cannot stop before it started."];
        }

        if (lastMenstrualPeriod > today)
        {
            errors["lastMenstrualPeriod"] = [after];
        }

        return errors;
    }

    /// <summary>Today in the zone of the patient's program (the latest today of any program if they have none).</summary>
    private static async Task<LocalDate> TodayForAsync(ImidCareDb db, string patientId, Instant now, CancellationToken ct) =>
        await PatientFacts.ProgramOfAsync(db, patientId, ct) is { } program
            ? ProgramTime.Today(now, program.Zone)
            : ProgramCatalog.All.Max(p => ProgramTime.Today(now, p.Zone));

    /// <summary>Revokes every live authorization of the patient and its unused confirmations (a pregnancy report, an enrollment leaving "enrolled").</summary>
    internal static async Task<(IReadOnlyList<string> Authorizations, IReadOnlyList<string> Confirmations)> RevokeLiveAsync(ImidCareDb db, string patientId)
    {
        var live = await db.Authorizations
            .Where(a => a.PatientId == patientId && (a.State == nameof(AuthorizationState.Active) || a.State == nameof(AuthorizationState.Confirmed)))
            .ToListAsync();
        foreach (var a in live)
        {
            a.State = nameof(AuthorizationState.Revoked);
            a.Version++;
        }

        var numbers = live.Select(a => a.Number).ToList();
        var confirmations = await db.Confirmations.Where(c => numbers.Contains(c.AuthorizationNumber) && c.State == "active").ToListAsync();
        foreach (var c in confirmations)
        {
            c.State = "revoked";
            c.Version++;
        }

        return (numbers, [.. confirmations.Select(c => c.Number)]);
    }

    /// <summary>Revokes every live authorization and confirmation of the patient and opens a safety hold.</summary>
    internal static async Task<int> StopForPregnancyAsync(ImidCareDb db, AuditWriter audit, Caller caller, Patient patient, Instant now, string why)
    {
        var (numbers, confirmations) = await RevokeLiveAsync(db, patient.Id);
        db.Holds.Add(new HoldRecord
        {
            Id = Ids.New("hold"), PatientId = patient.Id, Code = PregnancyHold, Why = why,
            ClearedByList = nameof(HoldClearance.SafetyReview), OpenedAt = now,
        });
        audit.Append(caller.AsActor(patient.PrescriberId), "authorizations.stopped-for-pregnancy", $"patient/{patient.Id}",
            audit.Data(new { revoked = numbers, confirmations, why }));
        return numbers.Count;
    }

    private static async Task<IResult> ReportPregnancy(HttpContext http, string id, PregnancyReportRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        var errors = Validate(req.MedWatch);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors).ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ReportPregnancyAsync(caller, id, req, db, audit, now, http.RequestAborted));
    }

    /// <summary>The pregnancy report inside the write gate: the API and the report form run this core.</summary>
    internal static async Task<Reply> ReportPregnancyAsync(Caller caller, string id, PregnancyReportRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var errors = Validate(req.MedWatch);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (!await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("A pregnancy is reported by the patient, their prescriber or the program's staff.");
        }

        var dateErrors = ValidateDates(req.MedWatch, req.LastMenstrualPeriod, await TodayForAsync(db, id, now, ct));
        if (dateErrors.Count > 0)
        {
            return Problems.Validation(dateErrors);
        }

        var stopped = await StopForPregnancyAsync(db, audit, caller, patient, now,
            req.PartnerPregnancy ? "A partner's pregnancy was reported." : "A suspected pregnancy was reported.");
        var c = new SafetyCase
        {
            Id = Ids.New("case"), Kind = "pregnancy", PatientId = id, ReportedBy = caller.Id, OpenedAt = now, Status = "open",
            FieldsJson = AuditData.Of(new { req.PartnerPregnancy, req.LastMenstrualPeriod, req.MedWatch }),
        };
        db.Cases.Add(c);
        audit.Append(caller.AsActor(patient.PrescriberId), "case.opened", $"patient/{id}", audit.Data(new { c.Id, c.Kind, authorizationsStopped = stopped }));
        return Reply.Created(new PregnancyReportReply(c.Id, stopped, PregnancyHold, "SafetyReview",
            "FDA MedWatch 1-800-FDA-1088 and the REMS call center 1-888-423-5436 (facts §11)"));
    }

    private static async Task<IResult> ReportAdverseEvent(HttpContext http, AdverseEventRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        var errors = Validate(req.MedWatch);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors).ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ReportAdverseEventAsync(caller, req, db, audit, now, http.RequestAborted));
    }

    /// <summary>The adverse-event report inside the write gate: the API and the report form run this core.</summary>
    internal static async Task<Reply> ReportAdverseEventAsync(Caller caller, AdverseEventRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        var errors = Validate(req.MedWatch);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == req.PatientId, ct);
        if (patient is null)
        {
            return Problems.Validation("patientId", "No such patient.");
        }

        if (!await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("An adverse event is reported by the patient, their prescriber or the program's staff.");
        }

        var dateErrors = ValidateDates(req.MedWatch, null, await TodayForAsync(db, patient.Id, now, ct));
        if (dateErrors.Count > 0)
        {
            return Problems.Validation(dateErrors);
        }

        var c = new SafetyCase
        {
            Id = Ids.New("case"), Kind = "adverse-event", PatientId = patient.Id, ReportedBy = caller.Id, OpenedAt = now, Status = "open",
            FieldsJson = AuditData.Of(new { req.Serious, req.MedWatch }),
        };
        db.Cases.Add(c);
        audit.Append(caller.AsActor(patient.PrescriberId), "case.opened", $"patient/{patient.Id}", audit.Data(new { c.Id, c.Kind, req.Serious }));
        return Reply.Created(new { caseId = c.Id });
    }

    /// <summary>
    /// A case's life: open → under-review → closed, closed straight from open, and reopened from
    /// closed. Staff only, with a reason, audited; any other step is refused with 409.
    /// </summary>
    public static (string? Status, string? Error) CaseTransition(string current, string next) => (current, next) switch
    {
        ("open", "under-review") or ("open", "closed") or ("under-review", "closed") or ("under-review", "open") or ("closed", "open") => (next, null),
        _ when !CaseStatuses.Contains(next) => (null, $"A case's status is one of: {string.Join(", ", CaseStatuses)}."),
        _ => (null, $"A case that is {current} cannot become {next}."),
    };

    public static readonly string[] CaseStatuses = ["open", "under-review", "closed"];

    private static async Task<IResult> ChangeCaseStatus(HttpContext http, string id, CaseStatusRequest req, WriteGate gate) =>
        http.Caller() is var caller && CheckCaseStatus(caller, req) is { } refused
            ? refused.ToResult()
            : await Writes.RunAsync(http, gate, req, (db, audit, now) => ChangeCaseStatusAsync(caller, id, req, db, audit, now, http.RequestAborted));

    private static Reply? CheckCaseStatus(Caller caller, CaseStatusRequest req) =>
        !caller.IsStaff ? Problems.Forbidden("Cases are for the program's safety staff.")
        : !CaseStatuses.Contains(req.Status) ? Problems.Validation("status", $"A case's status is one of: {string.Join(", ", CaseStatuses)}.")
        : string.IsNullOrWhiteSpace(req.Reason) ? Problems.Validation("reason", "A reason is required.")
        : null;

    /// <summary>A case's status change inside the write gate (the API and the cases page).</summary>
    internal static async Task<Reply> ChangeCaseStatusAsync(Caller caller, string id, CaseStatusRequest req, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if (CheckCaseStatus(caller, req) is { } refused)
        {
            return refused;
        }

        var c = await db.Cases.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null)
        {
            return Problems.NotFound($"Case '{id}'");
        }

        var (status, error) = CaseTransition(c.Status, req.Status);
        if (error is not null)
        {
            return Problems.Conflict("That status change is not possible.", error);
        }

        var from = c.Status;
        c.Status = status!;
        audit.Append(caller.AsActor(), "case.status-changed", $"patient/{c.PatientId}", audit.Data(new { c.Id, from, to = c.Status, reason = req.Reason.Trim() }));
        return Reply.Ok(new CaseDto(c.Id, c.Kind, c.PatientId, c.ReportedBy, c.OpenedAt, c.Status, System.Text.Json.JsonDocument.Parse(c.FieldsJson).RootElement));
    }

    private static async Task<IResult> ListCases(HttpContext http, IDbContextFactory<ImidCareDb> dbs, CancellationToken ct)
    {
        if (!http.Caller().IsStaff)
        {
            return Problems.Forbidden("Cases are for the program's safety staff.").ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var cases = await db.Cases.AsNoTracking().OrderByDescending(c => c.OpenedAt).Take(500).ToListAsync(ct);
        return Results.Json(cases.Select(c => new CaseDto(c.Id, c.Kind, c.PatientId, c.ReportedBy, c.OpenedAt, c.Status,
            System.Text.Json.JsonDocument.Parse(c.FieldsJson).RootElement)), Json.Options);
    }
}
