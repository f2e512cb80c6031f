using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Pages.Admin;

/// <summary>
/// Patients whose enrollment is paused or ended, newest change first, with the change's reason;
/// the administrator reactivates (the only way back from "disenrolled") or ends a pause here. The
/// API's own core (EnrollmentStatusEndpoints), so the moves, the administrator-only check, the
/// revocations and the audit record are the API's.
/// </summary>
public sealed class EnrollmentsModel : WebPage
{
    /// <summary>
    /// The list is driven by the status-change table, which only holds patients someone moved: it
    /// stays small when a million patients are enrolled, where a scan of every enrollment would not.
    /// </summary>
    public const int Shown = 200;

    public sealed record Row(string PatientId, string Name, string Program, string Status, string Reason, Instant At, IReadOnlyList<string> Moves);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public bool More { get; private set; }

    [BindProperty]
    public string? Reason { get; set; }

    public string? Done { get; private set; }

    /// <summary>Safety staff see the list; only an administrator gets the forms (the core refuses anyone else).</summary>
    public bool MayChange => Me.Role == Roles.Admin;

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync(string patientId, string move)
    {
        if (move is not ("disenroll" or "reactivate"))
        {
            return BadRequest();
        }

        var me = Me;
        var reason = Reason ?? string.Empty;
        var reply = await WriteAsync((db, audit, now) => EnrollmentStatusEndpoints.ChangeAsync(me, patientId, move, reason, db, audit, now, Ct));
        if (Accept(reply, new Dictionary<string, string> { ["reason"] = $"Reason-{patientId}" }))
        {
            var r = (EnrollmentStatusReply)reply.Body!;
            await using var db = await DbAsync();
            var name = await db.Patients.AsNoTracking().Where(p => p.Id == patientId).Select(p => p.Name).SingleAsync(Ct);
            Done = $"The enrollment of {name} ({patientId}) is now {r.Status.ToLowerInvariant()}.";
            Reason = null;
        }

        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var enrolled = nameof(EnrollmentStatus.Enrolled);
        var latest = await db.EnrollmentStatusChanges.AsNoTracking()
            .Join(db.Enrollments.Where(e => e.Status != enrolled), c => c.EnrollmentId, e => e.Id, (c, e) => new { c, e })
            .Join(db.Patients, x => x.e.PatientId, p => p.Id, (x, p) => new { x.c, x.e, p.Name })
            .OrderByDescending(x => x.c.At).Take(Shown * 4).ToListAsync(Ct);

        // One row per patient, its newest change: a patient moved several times has several changes.
        var rows = latest.GroupBy(x => x.e.Id).Select(g => g.First())
            .Select(x => new Row(x.e.PatientId, x.Name, x.e.ProgramId, x.e.Status, x.c.Reason, x.c.At, Moves(x.e.Status))).ToList();
        // The newest changes were read, not every one: a list cut there says so even when its patients number fewer.
        More = rows.Count > Shown || latest.Count == Shown * 4;
        Rows = [.. rows.Take(Shown)];
    }

    private static string[] Moves(string status)
    {
        var current = Enum.Parse<EnrollmentStatus>(status);
        return [.. new[] { "reactivate", "disenroll" }.Where(m => EnrollmentStatusEndpoints.Apply(current, m, byAdministrator: true).Error is null)];
    }
}
