using System.Net.Mail;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Reminders;

public sealed record ReminderDto(string Id, string Kind, string? PatientId, string Subject, LocalDate DueOn, string Title, string Detail, string Link, Instant CreatedAt, Instant? ReadAt, ReasonDto Rule);

public sealed record InboxDto(int Unread, IReadOnlyList<ReminderDto> Reminders, string? Email, bool EmailReminders);

public sealed record EmailSettingsRequest(string? Email, bool EmailReminders);

/// <summary>A person's reminders inbox: list, mark read, email preference. The pages run the same cores.</summary>
public static class ReminderEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/me/reminders", List).WithSummary("The caller's reminders, newest first (?unread=true for unread only), each with the rule that raised it.");
        api.MapPost("/me/reminders/{id}/read", MarkRead).WithSummary("Mark one of the caller's reminders as read.");
        api.MapPut("/me/email", SetEmail).WithSummary("The caller's email address and whether reminders are emailed (the email says only that a reminder is waiting).");
    }

    /// <summary>Reminders belong to people; an organisation key has none.</summary>
    public static bool IsPerson(Caller c) => c.Role is not (Roles.PharmacySystem or Roles.PrescriberOffice);

    private static Reply NotAPerson() => Problems.Forbidden("Reminders belong to people who sign in; an organisation key has none.");

    private static async Task<IResult> List(HttpContext http, IDbContextFactory<ImidCareDb> dbs, bool? unread, CancellationToken ct)
    {
        var caller = http.Caller();
        if (!IsPerson(caller))
        {
            return NotAPerson().ToResult();
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        return Results.Json(await InboxAsync(db, caller, unread ?? false, ct), Json.Options);
    }

    internal static async Task<InboxDto> InboxAsync(ImidCareDb db, Caller caller, bool unreadOnly, CancellationToken ct)
    {
        var q = db.Reminders.AsNoTracking().Where(r => r.UserId == caller.Id);
        var unread = await q.CountAsync(r => r.ReadAt == null, ct);
        if (unreadOnly)
        {
            q = q.Where(r => r.ReadAt == null);
        }

        var rows = await q.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.DueOn).Take(200).ToListAsync(ct);

        // A caregiver whose grant was revoked keeps no window onto the patient through old reminders.
        if (caller.Role == Roles.Caregiver)
        {
            var granted = await db.CaregiverGrants.AsNoTracking().Where(g => g.CaregiverUserId == caller.Id && g.RevokedAt == null).Select(g => g.PatientId).ToListAsync(ct);
            rows = [.. rows.Where(r => r.PatientId is null || granted.Contains(r.PatientId))];
            unread = rows.Count(r => r.ReadAt == null);
        }

        var user = await db.Users.AsNoTracking().Where(u => u.Id == caller.Id).Select(u => new { u.Email, u.EmailReminders }).FirstOrDefaultAsync(ct);
        return new InboxDto(unread, [.. rows.Select(ToDto)], user?.Email, user?.EmailReminders ?? false);
    }

    public static ReminderDto ToDto(ReminderRecord r) => new(
        r.Id, r.Kind, r.PatientId, r.Subject, r.DueOn, r.Title, r.Detail, r.Link, r.CreatedAt, r.ReadAt,
        new ReasonDto(r.RuleCode, r.RuleMessage, r.RuleSource, r.RuleEvidence, r.Unverified));

    private static Task<IResult> MarkRead(HttpContext http, string id, WriteGate gate)
    {
        var caller = http.Caller();
        return IsPerson(caller)
            ? Writes.RunAsync(http, gate, new { id }, (db, audit, now) => MarkReadAsync(caller, id, db, audit, now, http.RequestAborted), scoped: true)
            : Task.FromResult(NotAPerson().ToResult());
    }

    internal static async Task<Reply> MarkReadAsync(Caller caller, string id, ImidCareDb db, AuditWriter audit, Instant now, CancellationToken ct)
    {
        // Someone else's reminder is "not found": its existence is not revealed.
        var r = await db.Reminders.FirstOrDefaultAsync(x => x.Id == id && x.UserId == caller.Id, ct);

        // Nor is a revoked caregiver's old reminder about the patient, which the inbox no longer lists.
        if (r is null || (caller.Role == Roles.Caregiver && r.PatientId is { } patient && !await Therapy.TherapyService.CaregiverMaySeeAsync(db, caller.Id, patient, ct)))
        {
            return Problems.NotFound($"Reminder '{id}'");
        }

        if (r.ReadAt is null)
        {
            r.ReadAt = now;
            audit.Append(caller.AsActor(), "reminder.read", $"reminder/{r.Id}", audit.Data(new { r.Kind, r.Subject, r.DueOn }));
        }

        return Reply.Ok(ToDto(r));
    }

    private static Task<IResult> SetEmail(HttpContext http, EmailSettingsRequest req, WriteGate gate)
    {
        var caller = http.Caller();
        return IsPerson(caller)
            ? Writes.RunAsync(http, gate, req, (db, audit, now) => SetEmailAsync(caller, req, db, audit, http.RequestAborted), scoped: true)
            : Task.FromResult(NotAPerson().ToResult());
    }

    internal static async Task<Reply> SetEmailAsync(Caller caller, EmailSettingsRequest req, ImidCareDb db, AuditWriter audit, CancellationToken ct)
    {
        var email = string.IsNullOrWhiteSpace(req.Email) ? null : req.Email.Trim();
        if (email is not null && (email.Length > 254 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !email.Contains('.', StringComparison.Ordinal)))
        {
            return Problems.Validation("email", "Enter an email address such as name@example.org.");
        }

        if (req.EmailReminders && email is null)
        {
            return Problems.Validation("email", "Enter an email address to receive reminder emails.");
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == caller.Id, ct);
        if (user is null)
        {
            return Problems.Forbidden("Reminders belong to people who sign in.");
        }

        user.Email = email;
        user.EmailReminders = req.EmailReminders;

        // The address itself stays out of the audit trail; that it changed, and the choice, go in.
        audit.Append(caller.AsActor(), "user.email-settings", $"user/{user.Id}", audit.Data(new { hasEmail = email is not null, emailReminders = req.EmailReminders }));
        return Reply.Ok(new { email, emailReminders = req.EmailReminders });
    }
}
