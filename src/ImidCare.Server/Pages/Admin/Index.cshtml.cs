using ImidCare.Server.Admin;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Admin;

/// <summary>
/// The compliance dashboard: the program's compliance sweep (the same report the staff API and
/// the CLI give: late pregnancy tests, overdue surveys, authorizations expiring today), open
/// holds, and certifications to review.
/// </summary>
public sealed class IndexModel : WebPage
{
    public ComplianceReport Report { get; private set; } = null!;

    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<(HoldRecord Hold, string Patient)> Holds { get; private set; } = [];

    public int CertificationsToReview { get; private set; }

    public string Name(string patientId) => Names.TryGetValue(patientId, out var n) ? n : patientId;

    public async Task OnGetAsync()
    {
        await using var db = await DbAsync();
        Report = await ComplianceSweep.RunAsync(db, Now, Ct);
        var ids = Report.LateTests.Select(t => t.PatientId).Concat(Report.OverdueSurveys.Select(s => s.PatientId)).Concat(Report.ExpiringToday.Select(a => a.PatientId)).Distinct().ToList();
        Names = await db.Patients.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, Ct);
        var holds = await db.Holds.AsNoTracking().Where(h => h.ClearedAt == null)
            .Join(db.Patients, h => h.PatientId, p => p.Id, (h, p) => new { h, p.Name }).Take(500).ToListAsync(Ct);
        Holds = [.. holds.OrderBy(x => x.h.OpenedAt).Select(x => (x.h, x.Name))];
        CertificationsToReview = await db.PrescriberCertifications.CountAsync(c => c.Status != "Certified", Ct)
            + await db.PharmacyCertifications.CountAsync(c => c.Status != "Certified", Ct);
    }
}
