using System.Text.Json;
using ImidCare.Rules.Programs;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Office;

/// <summary>
/// The prescriber reviews the facts a patient's risk category rests on. The category is never
/// typed: the API's review core derives it from the facts (the same rule as enrollment), keeps the
/// change in the history with its reason and audits it; a contradiction is refused with its reasons.
/// </summary>
public sealed class CategoryModel : WebPage
{
    public PatientStatusDto Status { get; private set; } = null!;

    public ProgramRules Program { get; private set; } = null!;

    [BindProperty]
    public FactsInput Facts { get; set; } = new();

    [BindProperty]
    public string? Reason { get; set; }

    public CategoryReviewReply? Reviewed { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        await using var db = await DbAsync();
        var json = await db.Enrollments.AsNoTracking().Where(e => e.PatientId == id).Select(e => e.FactsJson).FirstAsync(Ct);
        if (JsonSerializer.Deserialize<ReproductiveAnswers>(json, Json.Options) is { } a)
        {
            Facts = new FactsInput { Menses = a.MensesInLast24Months, Menopause = a.NaturalMenopauseAtLeast24Months, Hysterectomy = a.Hysterectomy, Oophorectomy = a.BilateralOophorectomy };
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id)
    {
        if (!await LoadAsync(id))
        {
            return Forbid();
        }

        var me = Me;
        var req = new CategoryReviewRequest(new ReproductiveAnswers(Facts.Menses, Facts.Menopause, Facts.Hysterectomy, Facts.Oophorectomy), Reason ?? string.Empty);
        var reply = await WriteAsync((db, audit, now) => PatientEndpoints.ReviewCategoryAsync(me, id, req, db, audit, now, Ct));
        if (Accept(reply, new Dictionary<string, string> { ["reason"] = nameof(Reason) }))
        {
            Reviewed = (CategoryReviewReply)reply.Body!;
            Reason = null;
            ModelState.Clear();
            await LoadAsync(id);
        }

        return Page();
    }

    private async Task<bool> LoadAsync(string id)
    {
        await using var db = await DbAsync();
        if (await VisiblePatientAsync(db, id) is null || await PatientEndpoints.StatusAsync(db, id, Now, Ct) is not { } s)
        {
            return false;
        }

        Status = s;
        Program = ProgramCatalog.Find(s.Program)!;
        return true;
    }

    public sealed class FactsInput
    {
        public bool Menses { get; set; }

        public bool Menopause { get; set; }

        public bool Hysterectomy { get; set; }

        public bool Oophorectomy { get; set; }
    }
}
