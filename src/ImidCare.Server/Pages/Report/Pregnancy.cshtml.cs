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
