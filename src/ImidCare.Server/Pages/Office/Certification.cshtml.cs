using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Office;

/// <summary>
/// The prescriber certifies themself, program by program: their NPI on record (registered by the
/// program), the education attested and the requirements agreed. The API's own certification core
/// decides (NPI check digit, attestations) and its decision is shown with every reason.
/// </summary>
public sealed class CertificationModel : WebPage
{
    public Prescriber Prescriber { get; private set; } = null!;

    public bool NpiValid { get; private set; }

    public IReadOnlyList<(ProgramRules Program, PrescriberCertification? Certification)> Programs { get; private set; } = [];

    [BindProperty]
    public string? Program { get; set; }

    [BindProperty]
    public bool TrainingAttested { get; set; }

    [BindProperty]
    public bool AgreesToRequirements { get; set; }

    public CertificationReply? Certified { get; private set; }

    public async Task<IActionResult> OnGetAsync() => await LoadAsync() ? Page() : Forbid();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!await LoadAsync())
        {
            return Forbid();
        }

        var me = Me;
        var id = Prescriber.Id;
        var req = new CertifyPrescriberRequest(Program ?? string.Empty, TrainingAttested, AgreesToRequirements);
        var reply = await WriteAsync((db, audit, now) => PrescriberEndpoints.CertifyAsync(me, id, req, db, audit, now));
        if (Accept(reply, new Dictionary<string, string> { ["program"] = nameof(Program) }))
        {
            Certified = (CertificationReply)reply.Body!;
            await LoadAsync();
        }

        return Page();
    }

    private async Task<bool> LoadAsync()
    {
        await using var db = await DbAsync();
        var me = Me;
        if (await db.Prescribers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == me.PrescriberId, Ct) is not { } p)
        {
            return false;
        }

        Prescriber = p;
        NpiValid = Npi.TryParse(p.Npi, out _, out _);
        var certs = await db.PrescriberCertifications.AsNoTracking().Where(c => c.PrescriberId == p.Id).ToListAsync(Ct);

        // The three programs of these drugs; the iPLEDGE-style set is a test of the engine, not a program to join here.
        Programs = [.. ProgramCatalog.All.Where(x => x.Id is "LEN" or "POM" or "THAL").Select(x => (x, certs.FirstOrDefault(c => c.ProgramId == x.Id)))];
        return true;
    }
}
