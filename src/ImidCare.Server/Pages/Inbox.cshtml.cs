using System.ComponentModel.DataAnnotations;
using ImidCare.Server.Reminders;
using ImidCare.Server.Web;
using Microsoft.AspNetCore.Mvc;

namespace ImidCare.Server.Pages;

/// <summary>
/// Everyone's reminders inbox (patient, caregiver, prescriber, pharmacist, staff): what the
/// reminder job found due, with the rule behind each; mark read; the email preference. The same
/// cores as the JSON API (/api/v1/me/reminders, /api/v1/me/email), through the write gate.
/// </summary>
public sealed class InboxModel : WebPage
{
    public InboxDto Inbox { get; private set; } = null!;

    public string? Done { get; private set; }

    [BindProperty]
    [StringLength(254)]
    [Display(Name = "Email address")]
    public string? Email { get; set; }

    [BindProperty]
    public bool EmailReminders { get; set; }

    public async Task OnGetAsync()
    {
        await LoadAsync();
        Email = Inbox.Email;
        EmailReminders = Inbox.EmailReminders;
    }

    public async Task<IActionResult> OnPostReadAsync(string id)
    {
        var me = Me;
        if (Accept(await WriteAsync((db, audit, now) => ReminderEndpoints.MarkReadAsync(me, id, db, audit, now, Ct))))
        {
            Done = "Marked as read.";
        }

        await LoadAsync();
        Email = Inbox.Email;
        EmailReminders = Inbox.EmailReminders;
        return Page();
    }

    public async Task<IActionResult> OnPostEmailAsync()
    {
        var me = Me;
        var req = new EmailSettingsRequest(Email, EmailReminders);
        if (ModelState.IsValid && Accept(await WriteAsync((db, audit, _) => ReminderEndpoints.SetEmailAsync(me, req, db, audit, Ct)), new Dictionary<string, string> { ["email"] = nameof(Email) }))
        {
            Done = EmailReminders ? "Saved: we will email you when a reminder arrives." : "Saved: no reminder emails.";
        }

        // Whatever was typed stays in the form, also after an error.
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        Inbox = await ReminderEndpoints.InboxAsync(db, Me, unreadOnly: false, Ct);
    }
}
