using ImidCare.Server.Web;
using ImidCare.Store.Entities;

namespace ImidCare.Server.Pages.Me;

/// <summary>
/// A companion page: the patient's own record, or (for a caregiver) the record of a patient named
/// in the address, only when the access check of the API allows it.
/// </summary>
public abstract class MePage : WebPage
{
    public Patient Patient { get; private set; } = null!;

    protected async Task<bool> LoadPatientAsync(string? requested)
    {
        await using var db = await DbAsync();
        var id = requested ?? Me.PatientId;
        if (await VisiblePatientAsync(db, id) is not { } patient)
        {
            return false;
        }

        Patient = patient;
        return true;
    }
}
