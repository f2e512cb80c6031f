using ImidCare.Server.Therapy;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Me;

/// <summary>The patient grants and revokes caregiver access (the API's grant handlers).</summary>
public sealed class CaregiversModel : MePage
{
    public sealed record GrantRow(string Id, string Name, string Username, NodaTime.Instant GrantedAt);

    [BindProperty]
    public string? Username { get; set; }

    public IReadOnlyList<GrantRow> Grants { get; private set; } = [];

    public string? Done { get; private set; }

    public async Task<IActionResult> OnGetAsync() => await MayManageAsync() ? Page() : Forbid();

    public async Task<IActionResult> OnPostGrantAsync()
    {
        if (!await MayManageAsync())
        {
            return Forbid();
        }

        if (string.IsNullOrWhiteSpace(Username))
        {
            ModelState.AddModelError(nameof(Username), "Enter your caregiver's username.");
            return Page();
        }

        var me = Me;
        var id = Patient.Id;
        var reply = await WriteAsync((db, audit, now) => TherapyEndpoints.GrantAsync(me, id, new CaregiverRequest(Username.Trim()), db, audit, now, Ct));
        if (Accept(reply, new Dictionary<string, string> { ["username"] = nameof(Username) }))
        {
            Done = $"{Username.Trim()} can now see your companion pages.";
            Username = null;
            ModelState.Clear();
        }

        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string grantId)
    {
        if (!await MayManageAsync())
        {
            return Forbid();
        }

        var me = Me;
        var id = Patient.Id;
        var reply = await WriteAsync((db, audit, now) => TherapyEndpoints.RevokeAsync(me, id, grantId, db, audit, now, Ct));
        if (Accept(reply))
        {
            Done = "Access revoked. Any calendar subscription address made for your record has stopped working too; make a new one on your start page.";
        }

        await LoadAsync();
        return Page();
    }

    /// <summary>Only the patient themself manages who may see their record.</summary>
    private async Task<bool> MayManageAsync()
    {
        if (Me.Role != Roles.Patient || !await LoadPatientAsync(null))
        {
            return false;
        }

        await LoadAsync();
        return true;
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var id = Patient.Id;
        Grants = await db.CaregiverGrants.AsNoTracking().Where(g => g.PatientId == id && g.RevokedAt == null)
            .Join(db.Users, g => g.CaregiverUserId, u => u.Id, (g, u) => new GrantRow(g.Id, u.DisplayName, u.Username, g.GrantedAt)).ToListAsync(Ct);
    }
}
