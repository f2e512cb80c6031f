using ImidCare.Server.Rems;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages.Me;

/// <summary>The companion's start page: what today asks of the patient, in plain words.</summary>
public sealed class IndexModel : MePage
{
    public PatientStatusDto Status { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            return Forbid();
        }

        await using var db = await DbAsync();
        Status = (await PatientEndpoints.StatusAsync(db, Patient.Id, Now, Ct))!;
        return Page();
    }
}
