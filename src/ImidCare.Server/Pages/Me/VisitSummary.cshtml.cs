using ImidCare.Server.Rems;
using ImidCare.Server.Therapy;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Me;

/// <summary>The "conversation starter": a one-page summary to print (or save as PDF) and bring to the next visit.</summary>
public sealed class VisitSummaryModel : MePage
{
    [BindProperty(SupportsGet = true)]
    public string? Questions { get; set; }

    public VisitSummary Summary { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        await BuildAsync();
        return Page();
    }

    public async Task<IActionResult> OnGetPdfAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        await BuildAsync();
        var pdf = await HttpContext.RequestServices.GetRequiredService<PdfPrinter>().PrintAsync(PrintDocuments.VisitSummary(Summary), Ct);
        return pdf is null
            ? StatusCode(StatusCodes.Status503ServiceUnavailable, "PDF printing needs Chromium on the server; use the Print button instead.")
            : File(pdf, "application/pdf", "visit-summary.pdf");
    }

    private async Task BuildAsync()
    {
        await using var db = await DbAsync();
        var now = Now;
        var status = (await PatientEndpoints.StatusAsync(db, Patient.Id, now, Ct))!;
        var facts = new List<string>();
        var upcoming = new List<string>();
        var questions = new List<string>();
        var today = Rules.Rems.ProgramTime.Today(now, Rules.Programs.ProgramCatalog.Find(status.Program)!.Zone);
        if (await TherapyService.PlanAsync(db, Patient.Id, Ct) is { } plan)
        {
            var diary = await TherapyService.DiaryAsync(db, Patient.Id, null, Ct);
            facts.Add($"Doses taken: {diary.DosesTaken}; missed: {diary.DosesMissed}; skipped: {diary.DosesSkipped}.");
            if (diary.DosesMissed > 0)
            {
                questions.Add("I missed some doses. Is there anything I should change?");
            }

            today = TherapyService.Today(plan, now);
            upcoming.AddRange((await TherapyService.MonitoringAsync(db, plan, Patient, today.PlusDays(35), now, Ct))
                .Where(d => d.Date >= today).Take(5).Select(d => $"{Words.Day(d.Date)}: {d.Description}"));
        }

        if (status.Holds.Count > 0)
        {
            facts.Add("My medicine is on hold: " + string.Join(" ", status.Holds.Select(h => h.Why)));
            questions.Add("What do I need to do so my medicine can continue?");
        }

        if (status.PatientSurvey.Due)
        {
            upcoming.Add("My REMS survey is due before the next prescription.");
        }

        var labs = await db.LabResults.AsNoTracking().Where(l => l.PatientId == Patient.Id).OrderByDescending(l => l.TakenOn).Take(5).ToListAsync(Ct);
        questions.AddRange(["How are my blood counts and my M-protein trending?", "Is my dose still right for me?", "Which side effects should make me call you right away?"]);
        questions.AddRange((Questions ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Summary = new VisitSummary(status.Name, today, $"{Words.Drug(status.Program)} ({Words.Program(status.Program)})", facts, [.. labs.OrderBy(l => l.TakenOn)], upcoming, questions);
    }
}
