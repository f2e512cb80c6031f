using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>Open holds, what clears each, and the safety review (the API's hold-clearing handler).</summary>
public sealed class HoldsModel : WebPage
{
    public IReadOnlyList<(HoldRecord Hold, string Patient)> Holds { get; private set; } = [];

    [BindProperty]
    public string? Note { get; set; }

    public string? Done { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync(string patientId, string holdId)
    {
        var me = Me;
        var reply = await WriteAsync((db, audit, now) => MonitoringEndpoints.ClearHoldAsync(me, patientId, holdId, new ClearHoldRequest(false, Note ?? string.Empty), db, audit, now, Ct));
        if (Accept(reply))
        {
            Done = "The safety review is recorded.";
        }

        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var rows = await db.Holds.AsNoTracking().Where(h => h.ClearedAt == null)
            .Join(db.Patients, h => h.PatientId, p => p.Id, (h, p) => new { h, p.Name }).ToListAsync(Ct);
        Holds = [.. rows.OrderBy(r => r.h.OpenedAt).Select(r => (r.h, r.Name))];
    }
}
