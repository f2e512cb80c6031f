using ImidCare.Server.Rems;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages.Report;

/// <summary>Report an adverse event with its MedWatch fields (the API's own core opens the case).</summary>
public sealed class AdverseEventModel : ReportPage
{
    [BindProperty]
    public bool Serious { get; set; }

    public string? CaseId { get; private set; }

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
        var req = new AdverseEventRequest(Patient.Id, Serious, MedWatch.ToRequest());
        var reply = await WriteAsync((db, audit, now) => SafetyEndpoints.ReportAdverseEventAsync(me, req, db, audit, now, Ct));
        if (Accept(reply, Fields()))
        {
            CaseId = System.Text.Json.JsonSerializer.SerializeToElement(reply.Body, Infrastructure.Json.Options).GetProperty("caseId").GetString();
        }

        return Page();
    }
}
