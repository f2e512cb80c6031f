using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Office;

/// <summary>The prescriber's office: certification status and every patient's REMS state at a glance.</summary>
public sealed class IndexModel : WebPage
{
    public IReadOnlyList<(string Program, string Status)> Certifications { get; private set; } = [];

    public IReadOnlyList<PatientStatusDto> Patients { get; private set; } = [];

    public async Task OnGetAsync()
    {
        await using var db = await DbAsync();
        var me = Me;
        Certifications = [.. (await db.PrescriberCertifications.AsNoTracking().Where(c => c.PrescriberId == me.PrescriberId).OrderBy(c => c.ProgramId).ToListAsync(Ct))
            .Select(c => (c.ProgramId, c.Status))];
        var ids = await db.Patients.AsNoTracking().Where(p => p.PrescriberId == me.PrescriberId).OrderBy(p => p.Name).Select(p => p.Id).Take(500).ToListAsync(Ct);
        var list = new List<PatientStatusDto>();
        var now = Now;
        foreach (var id in ids)
        {
            if (await PatientEndpoints.StatusAsync(db, id, now, Ct) is { } s)
            {
                list.Add(s);
            }
        }

        Patients = list;
    }
}
