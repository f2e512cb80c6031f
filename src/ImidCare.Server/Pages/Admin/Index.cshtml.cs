using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Pages.Admin;

/// <summary>
/// The compliance dashboard: late pregnancy tests, overdue surveys, authorizations about to
/// expire, open holds, certifications to review. Every line comes from the same status the API
/// returns for a patient.
/// </summary>
public sealed class IndexModel : WebPage
{
    public static readonly Duration ExpiringWithin = Duration.FromHours(48);

    public IReadOnlyList<PatientStatusDto> LateTests { get; private set; } = [];

    public IReadOnlyList<PatientStatusDto> OverdueSurveys { get; private set; } = [];

    public IReadOnlyList<(PatientStatusDto Patient, AuthorizationSummary Authorization)> Expiring { get; private set; } = [];

    public IReadOnlyList<PatientStatusDto> OnHold { get; private set; } = [];

    public int CertificationsToReview { get; private set; }

    public int PatientCount { get; private set; }

    public async Task OnGetAsync()
    {
        await using var db = await DbAsync();
        var now = Now;
        var ids = await db.Patients.AsNoTracking().OrderBy(p => p.Name).Select(p => p.Id).Take(2000).ToListAsync(Ct);
        var all = new List<PatientStatusDto>();
        foreach (var id in ids)
        {
            if (await PatientEndpoints.StatusAsync(db, id, now, Ct) is { } s)
            {
                all.Add(s);
            }
        }

        PatientCount = all.Count;
        LateTests = [.. all.Where(s => s.NextPregnancyTest is { Overdue: true })];
        OverdueSurveys = [.. all.Where(s => s.PatientSurvey.Due && s.TherapyStart is not null)];
        Expiring = [.. all.SelectMany(s => s.Authorizations.Where(a => a.State == "Active" && a.ExpiresAt - now <= ExpiringWithin).Select(a => (s, a)))];
        OnHold = [.. all.Where(s => s.Holds.Count > 0)];
        CertificationsToReview = await db.PrescriberCertifications.CountAsync(c => c.Status != "Certified", Ct)
            + await db.PharmacyCertifications.CountAsync(c => c.Status != "Certified", Ct);
    }
}
