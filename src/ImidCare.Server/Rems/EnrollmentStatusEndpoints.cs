using ImidCare.Rules;
using ImidCare.Rules.Rems;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Security;
using ImidCare.Server.Web;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Rems;

public sealed record EnrollmentStatusChangeDto(string From, string To, string Reason, string By, Instant At);

public sealed record EnrollmentStatusReply(string PatientId, string Program, string Status, IReadOnlyList<string> AuthorizationsRevoked, IReadOnlyList<string> ConfirmationsRevoked, EnrollmentStatusChangeDto Change);

/// <summary>
/// A patient's enrollment deactivated (a pause: therapy stopped for now, or the program's
/// non-compliance action), disenrolled (therapy ended), or reactivated. The rules already refuse an
/// authorization and a confirmation for a patient who is not enrolled (REMS.PATIENT_DEACTIVATED,
/// NCPDP EZ); this is how a patient gets there. Leaving "enrolled" also revokes the patient's live
/// authorizations and unused confirmations at once, as a pregnancy report does: a confirmation
/// already issued would otherwise still be dispensable, since a dispense is decided on the
/// confirmation. Coming back needs a new authorization (a new prescriber survey, and for a patient
/// who can get pregnant a new test), never an old one revived.
/// </summary>
public static class EnrollmentStatusEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/patients/{id}/enrollment/{action:regex(^(deactivate|disenroll|reactivate)$)}", Change)
            .WithSummary("Deactivate, disenroll or reactivate a patient's enrollment (the patient's prescriber side, or an administrator), with a reason; leaving 'enrolled' revokes live authorizations.");
    }

    private static async Task<IResult> Change(HttpContext http, string id, string action, StatusChangeRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        if (Check(caller, req.Reason) is { } refused)
        {
            return refused.ToResult();
        }

        return await Writes.RunAsync(http, gate, req, (db, audit, now) => ChangeAsync(caller, id, action, req.Reason, db, audit, now, http.RequestAborted));
    }

    /// <summary>Who may change an enrollment's status and what the request must carry: the API asks before the write gate, the core again inside it (the office page calls the core).</summary>
    private static Reply? Check(Caller caller, string? reason) =>
        !caller.IsPrescriberSide && caller.Role != Roles.Admin
            ? Problems.Forbidden("Only the patient's prescriber (or their office) or a program administrator changes an enrollment's status.")
        : string.IsNullOrWhiteSpace(reason) ? Problems.Validation("reason", "A reason is required.")
        : reason.Length > 1000 ? Problems.Validation("reason", "A reason is at most 1,000 characters.")
        : null;

    internal static async Task<Reply> ChangeAsync(Caller caller, string id, string action, string reason, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        if (Check(caller, reason) is { } refused)
        {
            return refused;
        }

        reason = reason.Trim();
        var patient = await db.Patients.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (patient is null)
        {
            return Problems.NotFound($"Patient '{id}'");
        }

        if (caller.Role != Roles.Admin && !await Access.CanSeePatientAsync(db, caller, patient, ct))
        {
            return Problems.Forbidden("Only the patient's own prescriber (or their office) changes the enrollment's status.");
        }

        var enrollment = await db.Enrollments.FirstOrDefaultAsync(e => e.PatientId == id, ct);
        if (enrollment is null)
        {
            return Problems.NotFound($"Enrollment of patient '{id}'");
        }

        var current = Enum.Parse<EnrollmentStatus>(enrollment.Status);
        var (to, error) = Apply(current, action, caller.Role == Roles.Admin);
        if (error is not null)
        {
            return Problems.Conflict("That enrollment status change is not possible.", error);
        }

        IReadOnlyList<string> authorizations = [];
        IReadOnlyList<string> confirmations = [];
        if (to != EnrollmentStatus.Enrolled)
        {
            (authorizations, confirmations) = await SafetyEndpoints.RevokeLiveAsync(db, id);
        }

        var change = new EnrollmentStatusChange
        {
            Id = Ids.New("est"), EnrollmentId = enrollment.Id, FromStatus = enrollment.Status, ToStatus = to.ToString(), Reason = reason, By = caller.Id, At = now,
        };
        enrollment.Status = change.ToStatus;
        db.EnrollmentStatusChanges.Add(change);
        var told = await TellAsync(db, patient, enrollment.ProgramId, change, caller.Role == Roles.Admin, now, ct);
        audit.Append(caller.AsActor(patient.PrescriberId), $"patient.enrollment.{action}", $"patient/{id}",
            audit.Data(new { program = enrollment.ProgramId, from = change.FromStatus, to = change.ToStatus, reason, authorizationsRevoked = authorizations, confirmationsRevoked = confirmations, told }));
        return Reply.Ok(new EnrollmentStatusReply(id, enrollment.ProgramId, change.ToStatus, authorizations, confirmations, ToDto(change)));
    }

    /// <summary>
    /// An inbox message (and, for those who asked for email, an email at the reminder job's next run)
    /// to the patient and their caregivers, and to the prescriber's office when the program made the
    /// change: a patient whose enrollment stops learns it before standing at a pharmacy counter. The
    /// reason is not in it (it may be a program's non-compliance note), as on the patient's page.
    /// </summary>
    private static async Task<IReadOnlyList<string>> TellAsync(ImidCareDb db, Patient patient, string programId, EnrollmentStatusChange change, bool byProgram, Instant now, CancellationToken ct)
    {
        var program = Rules.Programs.ProgramCatalog.Find(programId);
        var day = now.InZone(program?.Zone ?? DateTimeZone.Utc).Date;
        var name = program?.Name ?? programId;
        // Each on the patient's side reads it in their own voice: the patient "your", a caregiver "John's".
        (string Title, string Detail) Words(Voice v) => change.ToStatus switch
        {
            nameof(EnrollmentStatus.Enrolled) => ($"{v.Whose} REMS enrollment is active again",
                $"{v.Whose} enrollment in the {name} is active again. {v.Whose} prescriber needs to issue a new authorization before a pharmacy can fill."),
            nameof(EnrollmentStatus.Inactive) => ($"{v.Whose} REMS enrollment is paused",
                $"{v.Whose} enrollment in the {name} is paused. No pharmacy can fill a prescription for {v.WhoLower} until it is active again, and any authorization {v.WhoLower} had is no longer valid. Please call {v.WhoseLower} prescriber."),
            _ => ($"{v.Whose} REMS enrollment has ended",
                $"{v.Whose} enrollment in the {name} has ended. No pharmacy can fill a prescription for {v.WhoLower}, and any authorization {v.WhoLower} had is no longer valid. Please call {v.WhoseLower} prescriber."),
        };
        var code = change.ToStatus == nameof(EnrollmentStatus.Enrolled) ? "REMS.PATIENT_REACTIVATED" : Deactivation.PatientCode;
        var reason = new Reason(code, $"The patient's enrollment is {change.ToStatus.ToLowerInvariant()}; a pharmacy fills only for an enrolled patient.", AuthorizationRules.Enrolled);

        var patientSide = Reminders.ReminderPlanner.Reader.Side(
            await db.Users.AsNoTracking().Where(u => u.PatientId == patient.Id).Select(u => u.Id).ToListAsync(ct),
            await db.CaregiverGrants.AsNoTracking().Where(g => g.PatientId == patient.Id && g.RevokedAt == null).Select(g => g.CaregiverUserId).ToListAsync(ct),
            patient.Name);
        var office = byProgram
            ? await db.Users.AsNoTracking().Where(u => u.PrescriberId == patient.PrescriberId && u.Role == Roles.Prescriber).Select(u => u.Id).ToListAsync(ct)
            : [];

        var messages = patientSide.Select(r => (User: r.UserId, Words: Words(r.Voice)))
            .Select(r => Reminders.ReminderPlanner.Make(r.User, patient.Id, change.Id, Reminders.ReminderKinds.EnrollmentChanged, day, r.Words.Title, r.Words.Detail, reason, $"/me?patient={patient.Id}", now))
            .Concat(office.Select(u => Reminders.ReminderPlanner.Make(u, patient.Id, change.Id, Reminders.ReminderKinds.EnrollmentChanged, day,
                $"{patient.Name}'s enrollment {Moved(change.ToStatus)} by the program", $"The program moved {patient.Name}'s enrollment from {change.FromStatus.ToLowerInvariant()} to {change.ToStatus.ToLowerInvariant()}.", reason, $"/office/patient/{patient.Id}", now)))
            .ToList();
        db.Reminders.AddRange(messages);
        return [.. messages.Select(m => m.UserId)];
    }

    private static string Moved(string to) => to switch
    {
        nameof(EnrollmentStatus.Enrolled) => "reactivated",
        nameof(EnrollmentStatus.Inactive) => "paused",
        _ => "ended",
    };

    internal static EnrollmentStatusChangeDto ToDto(EnrollmentStatusChange c) => new(c.FromStatus, c.ToStatus, c.Reason, c.By, c.At);

    /// <summary>
    /// The enrollment's moves: a pause and its end by the prescriber side or the program; an end
    /// from either state; and only the program brings back a patient whose enrollment ended.
    /// </summary>
    public static (EnrollmentStatus To, string? Error) Apply(EnrollmentStatus current, string action, bool byAdministrator) => (current, action) switch
    {
        (EnrollmentStatus.Enrolled, "deactivate") => (EnrollmentStatus.Inactive, null),
        (EnrollmentStatus.Enrolled or EnrollmentStatus.Inactive, "disenroll") => (EnrollmentStatus.Disenrolled, null),
        (EnrollmentStatus.Inactive, "reactivate") => (EnrollmentStatus.Enrolled, null),
        (EnrollmentStatus.Disenrolled, "reactivate") when byAdministrator => (EnrollmentStatus.Enrolled, null),
        (EnrollmentStatus.Disenrolled, "reactivate") => (current, "A disenrolled patient is reactivated only by the program administrator."),
        _ => (current, $"An enrollment that is {current.ToString().ToLowerInvariant()} cannot be {Past(action)}."),
    };

    private static string Past(string action) => action switch
    {
        "deactivate" => "deactivated",
        "disenroll" => "disenrolled",
        _ => "reactivated",
    };
}
