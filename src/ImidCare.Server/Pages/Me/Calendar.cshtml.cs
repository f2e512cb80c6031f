using System.Collections.Immutable;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Therapy;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Pages.Me;

/// <summary>
/// The cycle as a month grid (dose, rest and held days from the therapy engine, test days from the
/// monitoring schedule, the diary's record per day), printable; and an earlier day recorded in the
/// diary with its capsule count through the API's own diary core (its back-dating window and its
/// missed-dose answer). Below it the calendar subscriptions (the API's feed list and revocation):
/// the patient sees and stops every one, a caregiver only those they made.
/// </summary>
public sealed class CalendarModel : MePage
{
    public sealed record Cell(LocalDate Date, bool InMonth, CalendarDay? Day, IReadOnlyList<DueItem> Due, IReadOnlyList<DoseEntryRecord> Diary);

    public TreatmentPlanRecord? Plan { get; private set; }

    public string RegimenName { get; private set; } = string.Empty;

    public LocalDate Month { get; private set; }

    public LocalDate Today { get; private set; }

    public IReadOnlyList<IReadOnlyList<Cell>> Weeks { get; private set; } = [];

    [BindProperty]
    public EntryInput Entry { get; set; } = new();

    public DoseEntryReply? Recorded { get; private set; }

    public int BackdateDays => DoseDiary.BackdateDays;

    public IReadOnlyList<CalendarFeedDto> Feeds { get; private set; } = [];

    /// <summary>Where the subscriptions' times are told: the plan's zone, as the month's days are.</summary>
    public DateTimeZone Zone { get; private set; } = DateTimeZone.Utc;

    public string? FeedStopped { get; private set; }

    public string? FeedError { get; private set; }

    /// <summary>Who made a subscription, in words: "you", a name with its role, or unknown for one made before makers were recorded.</summary>
    public static string Maker(CalendarFeedDto f) =>
        f.Mine ? "you"
        : f.MadeBy is null ? "someone unknown (made before ImidCare recorded who makes a subscription)"
        : f.MadeByRole switch
        {
            Roles.Patient => $"{f.MadeBy} (the patient)",
            Roles.Caregiver => $"{f.MadeBy} (caregiver)",
            Roles.Prescriber => $"{f.MadeBy} (prescriber)",
            Roles.PrescriberOffice => $"{f.MadeBy} (prescriber's office)",
            Roles.Admin => $"{f.MadeBy} (administrator)",
            Roles.Safety => $"{f.MadeBy} (safety staff)",
            _ => f.MadeBy,
        };

    public async Task<IActionResult> OnGetAsync(string? patient, string? month)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        await LoadAsync(month);
        Entry.Date ??= Today.PlusDays(-1).ToDateOnly();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? patient, string? month)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        await LoadAsync(month);
        if (Plan is null)
        {
            ModelState.AddModelError(string.Empty, "There is no treatment plan yet.");
            return Page();
        }

        if (Entry.Date is null)
        {
            ModelState.AddModelError("Entry.Date", "Choose the day.");
            return Page();
        }

        var me = Me;
        var id = Patient.Id;
        var req = new DoseEntryRequest(LocalDate.FromDateOnly(Entry.Date.Value), Entry.Status, Entry.Status == DiaryStatus.Taken ? Entry.Capsules : 0);
        var reply = await TherapyEndpoints.OnceMoreIfTheDayWasTakenAsync(() => WriteAsync((db, audit, now) => TherapyEndpoints.RecordDoseAsync(me, id, req, db, audit, now, Ct)));
        if (Accept(reply, new Dictionary<string, string> { ["date"] = "Entry.Date", ["capsules"] = "Entry.Capsules" }))
        {
            Recorded = (DoseEntryReply)reply.Body!;
            await LoadAsync(month);
        }

        return Page();
    }

    /// <summary>Stops one subscription through the API's own revocation (same access rule, same audit record).</summary>
    public async Task<IActionResult> OnPostStopAsync(string? patient, string? month, string? feedId)
    {
        if (!await LoadPatientAsync(patient))
        {
            return NoPatient();
        }

        var me = Me;
        var id = Patient.Id;
        var reply = await WriteAsync((db, audit, now) => TherapyEndpoints.RevokeFeedAsync(me, id, feedId ?? string.Empty, db, audit, now, Ct));

        // Told in the subscriptions' own section, not the diary form's error summary above it.
        if (reply.Body is ProblemDto problem)
        {
            FeedError = problem.Detail is null ? problem.Title : $"{problem.Title} {problem.Detail}";
        }
        else
        {
            FeedStopped = "Stopped: that address no longer shows the calendar. A phone subscribed to it may keep what it fetched last; remove the subscription there too.";
        }

        await LoadAsync(month);
        Entry.Date ??= Today.PlusDays(-1).ToDateOnly(); // the diary form below shows what a fresh page does
        return Page();
    }

    private async Task LoadAsync(string? month)
    {
        await using var db = await DbAsync();
        var now = Now;
        Plan = await TherapyService.PlanAsync(db, Patient.Id, Ct);
        Today = Plan is null ? now.InUtc().Date : TherapyService.Today(Plan, now);
        Month = TryMonth(month) ?? new LocalDate(Today.Year, Today.Month, 1);
        var first = Month;
        var last = Month.PlusMonths(1).PlusDays(-1);

        // Monday-first weeks covering the month.
        var gridStart = first.PlusDays(-(((int)first.DayOfWeek) - 1));
        var gridEnd = last.PlusDays(7 - (int)last.DayOfWeek);
        var days = new Dictionary<LocalDate, CalendarDay>();
        var due = new Dictionary<LocalDate, List<DueItem>>();
        if (Plan is not null && gridEnd >= Plan.Start)
        {
            RegimenName = Regimens.Get(Plan.RegimenId).Name;
            foreach (var d in TherapyService.Calendar(Plan, Patient, gridEnd).Days.Where(d => d.Date >= gridStart))
            {
                days[d.Date] = d;
            }

            foreach (var item in await TherapyService.MonitoringAsync(db, Plan, Patient, gridEnd, now, Ct))
            {
                if (item.Date >= gridStart)
                {
                    (due.TryGetValue(item.Date, out var l) ? l : due[item.Date] = []).Add(item);
                }
            }
        }
        else if (Plan is not null)
        {
            RegimenName = Regimens.Get(Plan.RegimenId).Name;
        }

        var diary = TherapyService.OnePerDay(await db.DoseEntries.AsNoTracking().Where(d => d.PatientId == Patient.Id && d.Date >= gridStart && d.Date <= gridEnd).ToListAsync(Ct))
            .ToLookup(d => d.Date);
        var weeks = new List<IReadOnlyList<Cell>>();
        for (var w = gridStart; w <= gridEnd; w = w.PlusDays(7))
        {
            weeks.Add([.. Enumerable.Range(0, 7).Select(i => w.PlusDays(i)).Select(d => new Cell(
                d, d.Month == Month.Month, days.GetValueOrDefault(d), due.TryGetValue(d, out var l) ? l : [], [.. diary[d]]))]);
        }

        Weeks = weeks;
        Zone = Plan is null ? DateTimeZone.Utc : TherapyService.Zone(Plan);
        Feeds = await TherapyEndpoints.FeedsAsync(db, Me, Patient, Ct);
    }

    private static LocalDate? TryMonth(string? month) =>
        month is { Length: 7 } && int.TryParse(month[..4], out var y) && int.TryParse(month[5..], out var m) && month[4] == '-' && y is >= 2000 and <= 2100 && m is >= 1 and <= 12
            ? new LocalDate(y, m, 1)
            : null;

    public sealed class EntryInput
    {
        public DateOnly? Date { get; set; }

        public DiaryStatus Status { get; set; } = DiaryStatus.Taken;

        public int Capsules { get; set; } = 1;
    }
}
