using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>
/// Prescriber and pharmacy certifications, those not certified first (to review), and the
/// program's suspend / revoke / reinstate with a reason: the API's own transition core, so the
/// state machine, the administrator-only check and the audit record are the API's.
/// </summary>
public sealed class CertificationsModel : WebPage
{
    public sealed record Row(string Kind, string Id, string Name, string Program, string Status, string? Reason);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    [BindProperty]
    public string? Reason { get; set; }

    public string? Done { get; private set; }

    /// <summary>Safety staff see the list; only an administrator gets the forms (the API refuses anyone else).</summary>
    public bool MayChange => Me.Role == ImidCare.Store.Entities.Roles.Admin;

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync(string kind, string id, string program, string change)
    {
        if (kind is not ("prescriber" or "pharmacy") || change is not ("suspend" or "revoke" or "reinstate"))
        {
            return BadRequest();
        }

        var me = Me;
        var req = new StatusChangeRequest(Reason ?? string.Empty);
        var reply = await WriteAsync((db, audit, now) => CertificationTransitions.ChangeCoreAsync(me, req, kind, id, program, change, CertificationTransitions.Finder(kind, id), db, audit, now));
        if (Accept(reply, new Dictionary<string, string> { ["reason"] = $"Reason-{kind}-{id}-{program}" }))
        {
            var c = (CertificationDto)reply.Body!;
            Done = $"The {kind}'s {Words.Program(c.ProgramId)} certification is now {c.Status.ToLowerInvariant()} ({c.Reason}).";
            Reason = null;
        }

        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var prescribers = await db.PrescriberCertifications.AsNoTracking()
            .Join(db.Prescribers, c => c.PrescriberId, p => p.Id, (c, p) => new Row("prescriber", p.Id, p.Name, c.ProgramId, c.Status, c.StatusReason)).ToListAsync(Ct);
        var pharmacies = await db.PharmacyCertifications.AsNoTracking()
            .Join(db.Pharmacies, c => c.PharmacyId, p => p.Id, (c, p) => new Row("pharmacy", p.Id, p.Name, c.ProgramId, c.Status, c.StatusReason)).ToListAsync(Ct);
        Rows = [.. prescribers.Concat(pharmacies).OrderBy(r => r.Status == "Certified").ThenBy(r => r.Kind).ThenBy(r => r.Name).ThenBy(r => r.Program)];
    }
}
