using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages.Me;

/// <summary>Blood counts and M-protein over time, as accessible SVG charts.</summary>
public sealed class ChartsModel : MePage
{
    public PatientSeries Series { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        await using var db = await DbAsync();
        Series = await PatientSeries.LoadAsync(db, Patient.Id, Ct);
        return Page();
    }
}
