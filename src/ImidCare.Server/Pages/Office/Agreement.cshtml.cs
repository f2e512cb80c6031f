using ImidCare.Rules.Programs;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Office;

/// <summary>The signed Patient-Physician Agreement, printable: the exact text (by its hash) and who signed when.</summary>
public sealed class AgreementModel : WebPage
{
    public Patient Patient { get; private set; } = null!;

    public ProgramRules Program { get; private set; } = null!;

    public IReadOnlyList<Agreement> Signatures { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id)
    {
        await using var db = await DbAsync();
        if (await VisiblePatientAsync(db, id) is not { } patient)
        {
            return Forbid();
        }

        Patient = patient;
        var enrollment = await db.Enrollments.AsNoTracking().FirstAsync(e => e.PatientId == id, Ct);
        Program = ProgramCatalog.Find(enrollment.ProgramId)!;
        Signatures = await db.Agreements.AsNoTracking().Where(a => a.EnrollmentId == enrollment.Id).ToListAsync(Ct);
        return Page();
    }

    /// <summary>The signed agreement as a PDF (Chromium print-to-PDF).</summary>
    public async Task<IActionResult> OnGetPdfAsync(string id)
    {
        if (await OnGetAsync(id) is not PageResult)
        {
            return Forbid();
        }

        var pdf = await HttpContext.RequestServices.GetRequiredService<PdfPrinter>().PrintAsync(PrintDocuments.Agreement(Patient, Program, Signatures), Ct);
        return pdf is null
            ? StatusCode(StatusCodes.Status503ServiceUnavailable, "PDF printing needs Chromium on the server; use the Print button instead.")
            : File(pdf, "application/pdf", $"agreement-{Patient.Id}.pdf");
    }

    public string Text => AgreementTexts.For(Program);

    public string Sha => AgreementTexts.Sha256(Program);
}
