using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Me;

/// <summary>
/// A companion page: the patient's own record, or (for a caregiver) the record of a patient named
/// in the address, only when the access check of the API allows it.
/// </summary>
public abstract class MePage : WebPage
{
    public Patient Patient { get; private set; } = null!;

    /// <summary>How the page speaks: to the patient, or to a caregiver about the patient.</summary>
    public Voice Voice { get; private set; } = null!;

    protected async Task<bool> LoadPatientAsync(string? requested)
    {
        await using var db = await DbAsync();
        var me = Me;
        var id = requested ?? me.PatientId;
        if (id is null && me.Role == Roles.Caregiver)
        {
            // A caregiver's start page is the (first) patient who granted them access.
            id = await db.CaregiverGrants.AsNoTracking().Where(g => g.CaregiverUserId == me.Id && g.RevokedAt == null)
                .OrderBy(g => g.GrantedAt).Select(g => g.PatientId).FirstOrDefaultAsync(Ct);
        }

        if (await VisiblePatientAsync(db, id) is not { } patient)
        {
            return false;
        }

        Patient = patient;
        Voice = Voice.For(me, patient.Id, patient.Name);
        return true;
    }
}
