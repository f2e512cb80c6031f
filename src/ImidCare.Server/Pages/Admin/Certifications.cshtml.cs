using ImidCare.Server.Web;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>Prescriber and pharmacy certifications, those not certified first (to review).</summary>
public sealed class CertificationsModel : WebPage
{
    public sealed record Row(string Kind, string Name, string Program, string Status, string? Reason);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await DbAsync();
        var prescribers = await db.PrescriberCertifications.AsNoTracking()
            .Join(db.Prescribers, c => c.PrescriberId, p => p.Id, (c, p) => new Row("Prescriber", p.Name, c.ProgramId, c.Status, c.StatusReason)).ToListAsync(Ct);
        var pharmacies = await db.PharmacyCertifications.AsNoTracking()
            .Join(db.Pharmacies, c => c.PharmacyId, p => p.Id, (c, p) => new Row("Pharmacy", p.Name, c.ProgramId, c.Status, c.StatusReason)).ToListAsync(Ct);
        Rows = [.. prescribers.Concat(pharmacies).OrderBy(r => r.Status == "Certified").ThenBy(r => r.Kind).ThenBy(r => r.Name).ThenBy(r => r.Program)];
    }
}
