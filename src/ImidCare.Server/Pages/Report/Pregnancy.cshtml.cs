using System.ComponentModel.DataAnnotations;
using ImidCare.Server.Rems;
using Microsoft.AspNetCore.Mvc;
using NodaTime;

namespace ImidCare.Server.Pages.Report;

/// <summary>
/// Report a suspected pregnancy (the patient's or a partner's): the API's own core stops every
/// live authorization and confirmation, opens the case and places the hold only safety review
/// clears; the page then shows the patient's authorizations as they now stand.
/// </summary>
public sealed class PregnancyModel : ReportPage
{
    [BindProperty]
    public bool PartnerPregnancy { get; set; }

    [BindProperty]
    [Display(Name = "First day of the last menstrual period")]
    public DateOnly? LastMenstrualPeriod { get; set; }

    public PregnancyReportReply? Result { get; private set; }

    /// <summary>The patient is a man: the pregnancy reported is his partner's.</summary>
    public bool ForAPartner => Patient is { } p && Enum.Parse<Rules.Rems.Sex>(p.Sex, ignoreCase: true) == Rules.Rems.Sex.Male;

    public Task<IActionResult> OnGetAsync() => ShowFormAsync();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!await LoadAsync() || Patient is null)
        {
            return Forbid();
        }

        // A value the form could not read (a weight of "abc", a date that is no date) binds as
        // empty: sent on, the report would go in without it and nobody would know.
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Whose pregnancy follows from the patient: a man's report is about a partner, a woman's about herself.
        PartnerPregnancy = ForAPartner;
        var me = Me;
        var id = Patient.Id;
        var req = new PregnancyReportRequest(PartnerPregnancy, MedWatch.ToRequest(), LastMenstrualPeriod is { } l ? LocalDate.FromDateOnly(l) : null);
        var reply = await WriteAsync((db, audit, now) => SafetyEndpoints.ReportPregnancyAsync(me, id, req, db, audit, now, Ct));
        if (Accept(reply, Fields(nameof(LastMenstrualPeriod))))
        {
            Result = (PregnancyReportReply)reply.Body!;
            await RefreshStatusAsync();
        }

        return Page();
    }
}
