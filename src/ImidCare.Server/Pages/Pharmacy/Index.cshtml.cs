using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Server.Web;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Pharmacy;

/// <summary>
/// The pharmacy counter: one field, Enter, answer. The authorization number is presented for a
/// confirmation (the API's own confirmation, every rule checked); the answer says dispense or not
/// and why; then the counseling checklist for the patient's category, the dispense record, or a
/// reversal.
/// </summary>
public sealed class IndexModel : WebPage
{
    [BindProperty(SupportsGet = true)]
    public string? Number { get; set; }

    [BindProperty(SupportsGet = true, Name = "c")]
    public string? ConfirmationNumber { get; set; }

    [BindProperty]
    public DispenseInput Dispense { get; set; } = new();

    [BindProperty]
    public string? ReverseReason { get; set; }

    public ConfirmationRecord? Confirmation { get; private set; }

    public AuthorizationRecord? Authorization { get; private set; }

    public Patient? Patient { get; private set; }

    public RiskCategory Category { get; private set; }

    public DispenseDto? Recorded { get; private set; }

    public string? Done { get; private set; }

    /// <summary>Outages declared by the program that are under way or ended in the last week.</summary>
    public IReadOnlyList<OutageRecord> Outages { get; private set; } = [];

    /// <summary>This pharmacy's open confirmations whose deadline a declared outage moved: (number, patient, was, now).</summary>
    public IReadOnlyList<(string Number, string Patient, NodaTime.Instant Was, NodaTime.Instant Now)> Extended { get; private set; } = [];

    /// <summary>The shown confirmation's deadline with every declared outage applied, as the dispense rule sees it.</summary>
    public NodaTime.Instant? ConfirmationDeadline { get; private set; }

    public NodaTime.Instant NowInstant => Now;

    public static NodaTime.DateTimeZone Zone => ImidCare.Rules.Programs.ProgramCatalog.Pomalidomide.Zone;

    /// <summary>Every answer of the counter carries the outage banner, whichever handler ran.</summary>
    public override async Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context, Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        await LoadOutagesAsync();
        await next();
    }

    private async Task LoadOutagesAsync()
    {
        await using var db = await DbAsync();
        var now = Now;
        var since = now - NodaTime.Duration.FromDays(7);
        Outages = await db.Outages.AsNoTracking().Where(o => o.To >= since).OrderByDescending(o => o.From).Take(20).ToListAsync(Ct);
        if (Outages.Count == 0)
        {
            return;
        }

        var pharmacy = Me.PharmacyId;
        var open = await db.Confirmations.AsNoTracking().Where(c => c.PharmacyId == pharmacy && c.State == "active")
            .Join(db.Authorizations, c => c.AuthorizationNumber, a => a.Number, (c, a) => new { c.Number, c.IssuedAt, c.ExpiresAt, a.ProgramId, a.PatientId })
            .Join(db.Patients, x => x.PatientId, p => p.Id, (x, p) => new { x.Number, x.IssuedAt, x.ExpiresAt, x.ProgramId, p.Name }).Take(200).ToListAsync(Ct);
        var list = new List<(string, string, NodaTime.Instant, NodaTime.Instant)>();
        foreach (var c in open)
        {
            // The same extension the dispense rule applies (AuthorizationEndpoints.DispenseAsync).
            var extended = OutageRules.Extend(c.IssuedAt, c.ExpiresAt, await ImidCare.Server.Admin.OutageEndpoints.ForProgramAsync(db, c.ProgramId, Ct));
            if (extended != c.ExpiresAt && extended > now)
            {
                list.Add((c.Number, c.Name, c.ExpiresAt, extended));
            }
        }

        Extended = list;
    }

    public async Task<IActionResult> OnGetAsync()
    {
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostConfirmAsync()
    {
        if (!RemsNumber.TryParse(Number, 'A', out var parsed, out var error))
        {
            ModelState.AddModelError(nameof(Number), error!);
            return Page();
        }

        var me = Me;
        var reply = await WriteAsync((db, audit, now) => AuthorizationEndpoints.ConfirmAsync(me, parsed.Value, db, audit, now, Ct));
        if (!Accept(reply, new Dictionary<string, string> { ["number"] = nameof(Number) }))
        {
            return Page();
        }

        return Redirect($"/pharmacy?c={((ConfirmationDto)reply.Body!).Number}");
    }

    public async Task<IActionResult> OnPostDispenseAsync()
    {
        if (!await LoadAsync() || Confirmation is null)
        {
            return Page();
        }

        if (!Ndc.TryParse(Dispense.Ndc, out var ndc, out var ndcError))
        {
            ModelState.AddModelError("Dispense.Ndc", ndcError!);
            return Page();
        }

        var d = Dispense;
        var req = new DispenseRequest(d.Ndc!, d.Quantity, d.DaysSupply, new CounselingChecklist(
            d.CounselorName ?? string.Empty, d.WorkPhone ?? string.Empty, d.MedicationGuide, d.SideEffects, d.NoSharing, d.NoBloodDonation, d.DoNotBreak, d.DoseInstructions,
            d.Contraception, d.Guardian));
        var me = Me;
        var number = Stored(Confirmation.Number);
        var reply = await WriteAsync((db, audit, now) => AuthorizationEndpoints.DispenseAsync(me, number, ndc.Value, req, db, audit, now, Ct));
        if (Accept(reply))
        {
            Recorded = (DispenseDto)reply.Body!;
            await LoadAsync();
        }

        return Page();
    }

    public async Task<IActionResult> OnPostReverseAsync()
    {
        if (!await LoadAsync() || Confirmation is null)
        {
            return Page();
        }

        if (string.IsNullOrWhiteSpace(ReverseReason))
        {
            ModelState.AddModelError(nameof(ReverseReason), "Say why the confirmation is reversed.");
            return Page();
        }

        var me = Me;
        var number = Stored(Confirmation.Number);
        var reply = await WriteAsync((db, audit, now) => AuthorizationEndpoints.ReverseAsync(me, number, new ReverseRequest(ReverseReason), db, audit, now, Ct));
        if (Accept(reply))
        {
            Done = $"Confirmation {Confirmation.Number} reversed; authorization {Confirmation.AuthorizationNumber} can be confirmed again.";
            await LoadAsync();
        }

        return Page();
    }

    private static RemsNumber Stored(string number) =>
        RemsNumber.TryParse(number, 'C', out var n, out var error) ? n.Value : throw new InvalidOperationException(error);

    /// <summary>The confirmation named in the address, when it is this pharmacy's.</summary>
    private async Task<bool> LoadAsync()
    {
        if (ConfirmationNumber is null)
        {
            return true;
        }

        await using var db = await DbAsync();
        var pharmacy = Me.PharmacyId;
        Confirmation = await db.Confirmations.AsNoTracking().FirstOrDefaultAsync(c => c.Number == ConfirmationNumber && c.PharmacyId == pharmacy, Ct);
        if (Confirmation is null)
        {
            ModelState.AddModelError(string.Empty, $"Confirmation {ConfirmationNumber} is not one of this pharmacy's.");
            return false;
        }

        Authorization = await db.Authorizations.AsNoTracking().FirstAsync(a => a.Number == Confirmation.AuthorizationNumber, Ct);
        Patient = await db.Patients.AsNoTracking().FirstAsync(p => p.Id == Authorization.PatientId, Ct);
        Category = Enum.Parse<RiskCategory>(Authorization.Category);
        ConfirmationDeadline = OutageRules.Extend(Confirmation.IssuedAt, Confirmation.ExpiresAt, await ImidCare.Server.Admin.OutageEndpoints.ForProgramAsync(db, Authorization.ProgramId, Ct));
        if (Dispense.DaysSupply == 0)
        {
            Dispense.DaysSupply = Authorization.DaysSupply;
        }

        return true;
    }

    public sealed class DispenseInput
    {
        public string? Ndc { get; set; }

        public int Quantity { get; set; }

        public int DaysSupply { get; set; }

        public string? CounselorName { get; set; }

        public string? WorkPhone { get; set; }

        public bool MedicationGuide { get; set; }

        public bool SideEffects { get; set; }

        public bool NoSharing { get; set; }

        public bool NoBloodDonation { get; set; }

        public bool DoNotBreak { get; set; }

        public bool DoseInstructions { get; set; }

        public bool Contraception { get; set; }

        public bool Guardian { get; set; }
    }
}
