using ImidCare.Server.Web;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>Audit trail search (subject, action) and the hash-chain verification.</summary>
public sealed class AuditModel : WebPage
{
    [BindProperty(SupportsGet = true)]
    public string? Subject { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    public IReadOnlyList<AuditRecord> Rows { get; private set; } = [];

    public AuditVerification? Verification { get; private set; }

    public async Task OnGetAsync() => await SearchAsync();

    public async Task<IActionResult> OnPostVerifyAsync()
    {
        await using (var db = await DbAsync())
        {
            Verification = await AuditChain.VerifyAsync(db, Ct);
        }

        await SearchAsync();
        return Page();
    }

    private async Task SearchAsync()
    {
        await using var db = await DbAsync();
        var q = db.Audit.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(Subject))
        {
            q = q.Where(a => a.Subject.Contains(Subject.Trim()));
        }

        if (!string.IsNullOrWhiteSpace(Action))
        {
            q = q.Where(a => a.Action.Contains(Action.Trim()));
        }

        Rows = await q.OrderByDescending(a => a.Seq).Take(200).ToListAsync(Ct);
    }
}
