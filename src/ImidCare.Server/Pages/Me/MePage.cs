using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
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

    /// <summary>A caregiver whom no patient has granted access yet, who asked for no one in particular.</summary>
    public bool NobodySharedYet { get; private set; }

    /// <summary>
    /// What a page answers when <see cref="LoadPatientAsync"/> found no patient: a caregiver nobody
    /// has granted yet is sent to the start page, which says so, instead of a refusal with a menu of
    /// refusals; anyone else asking for a patient they may not see is refused.
    /// </summary>
    protected IActionResult NoPatient() => NobodySharedYet ? Redirect("/me") : Forbid();

    protected async Task<bool> LoadPatientAsync(string? requested)
    {
        await using var db = await DbAsync();
        var me = Me;
        // A caregiver's start page is the (first) patient who granted them access.
        var id = await PatientInViewAsync(db, requested);

        if (id is null && requested is null && me.Role == Roles.Caregiver)
        {
            NobodySharedYet = true;
            return false;
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
