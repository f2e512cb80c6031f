using System.Text.Json;
using ImidCare.Rules.Response;
using ImidCare.Server.Infrastructure;
using ImidCare.Store;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Web;

/// <summary>The series a patient's charts draw: blood counts from the lab results, M-protein from the myeloma assessments.</summary>
public sealed record PatientSeries(IReadOnlyList<ChartPoint> Anc, IReadOnlyList<ChartPoint> Platelets, IReadOnlyList<ChartPoint> Hemoglobin, IReadOnlyList<ChartPoint> MProtein)
{
    public static async Task<PatientSeries> LoadAsync(ImidCareDb db, string patientId, CancellationToken ct)
    {
        var labs = await db.LabResults.AsNoTracking().Where(l => l.PatientId == patientId).OrderBy(l => l.TakenOn).ToListAsync(ct);
        var assessments = await db.MyelomaAssessments.AsNoTracking().Where(a => a.PatientId == patientId).OrderBy(a => a.Date).ToListAsync(ct);
        var m = assessments.Select(a => JsonSerializer.Deserialize<MyelomaAssessment>(a.ValuesJson, Json.Options))
            .Where(a => a?.SerumMProteinGdL is not null).Select(a => new ChartPoint(a!.Date, (double)a.SerumMProteinGdL!.Value)).ToList();
        return new PatientSeries(
            [.. labs.Where(l => l.Anc is not null).Select(l => new ChartPoint(l.TakenOn, l.Anc!.Value))],
            [.. labs.Where(l => l.Platelets is not null).Select(l => new ChartPoint(l.TakenOn, l.Platelets!.Value))],
            [.. labs.Where(l => l.HemoglobinGdL is not null).Select(l => new ChartPoint(l.TakenOn, (double)l.HemoglobinGdL!.Value))],
            m);
    }
}
