using System.Collections.Immutable;
using ImidCare.Rules.Calendar;
using ImidCare.Server.Rems;
using ImidCare.Server.Therapy;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImidCare.Server.Pages.Me;

/// <summary>
/// The companion's start page: today's dose (take, rest day or hold) with the missed-dose helper,
/// what is coming up (labs and pregnancy tests), and the REMS to-dos, all from the same services
/// the API uses.
/// </summary>
public sealed class IndexModel : MePage
{
    public PatientStatusDto Status { get; private set; } = null!;

    public TodayView? Today { get; private set; }

    public ImmutableArray<DueItem> Upcoming { get; private set; } = [];

    public string? Done { get; private set; }

    public DiarySummary? Diary { get; private set; }

    public IReadOnlyList<DoseEntryRecord> RecentDoses { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            // The start page itself tells a caregiver nobody has granted yet what to do, with the username to give.
            if (!NobodySharedYet)
            {
                return Forbid();
            }

            await using var db = await DbAsync();
            var me = Me.Id;
            Username = await db.Users.AsNoTracking().Where(u => u.Id == me).Select(u => u.Username).SingleAsync(Ct);
            return Page();
        }

        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDoseAsync(string? patient, DiaryStatus status)
    {
        if (!await LoadPatientAsync(patient))
        {
            return Forbid();
        }

        await LoadAsync();
        if (Today is null)
        {
            ModelState.AddModelError(string.Empty, "There is no treatment plan yet.");
            return Page();
        }

        var me = Me;
        var id = Patient.Id;
        var req = new DoseEntryRequest(Today.Date, status, status == DiaryStatus.Taken ? 1 : 0);
        var reply = await TherapyEndpoints.OnceMoreIfTheDayWasTakenAsync(() => WriteAsync((db, audit, now) => TherapyEndpoints.RecordDoseAsync(me, id, req, db, audit, now, Ct)));
        if (Accept(reply))
        {
            Done = status == DiaryStatus.Taken ? "Recorded: today's dose is taken." : $"Recorded in {Voice.WhoseLower} diary.";
            await LoadAsync();
        }

        return Page();
    }

    /// <summary>A private subscription address for the phone's calendar (the API's feed handler).</summary>
    public async Task<IActionResult> OnPostFeedAsync(string? patient)
    {
        if (!await LoadPatientAsync(patient))
        {
            return Forbid();
        }

        var me = Me;
        var id = Patient.Id;
        var baseUrl = $"{Request.Scheme}://{Request.Host}";
        var reply = await WriteAsync((db, audit, now) => TherapyEndpoints.CreateFeedAsync(me, id, baseUrl, db, audit, now, Ct));
        if (Accept(reply))
        {
            FeedUrl = System.Text.Json.JsonSerializer.SerializeToElement(reply.Body).GetProperty("url").GetString();
        }

        await LoadAsync();
        return Page();
    }

    public string? FeedUrl { get; private set; }

    /// <summary>The signed-in caregiver's username, for the patient to grant access to.</summary>
    public string? Username { get; private set; }

    private async Task LoadAsync()
    {
        await using var db = await DbAsync();
        var now = Now;
        Status = (await PatientEndpoints.StatusAsync(db, Patient.Id, now, Ct))!;
        if (await TherapyService.PlanAsync(db, Patient.Id, Ct) is { } plan)
        {
            Today = await TherapyService.TodayAsync(db, plan, Patient, now, Ct);
            Diary = await TherapyService.DiaryAsync(db, Patient.Id, null, Ct);
            var recent = await db.DoseEntries.AsNoTracking().Where(d => d.PatientId == Patient.Id).OrderByDescending(d => d.Date).ThenByDescending(d => d.RecordedAt).Take(20).ToListAsync(Ct);
            RecentDoses = [.. TherapyService.OnePerDay(recent).Reverse().Take(10)];
            Upcoming = [.. (await TherapyService.MonitoringAsync(db, plan, Patient, Today.Date.PlusDays(35), now, Ct)).Where(d => d.Date >= Today.Date).Take(6)];
        }
    }
}
