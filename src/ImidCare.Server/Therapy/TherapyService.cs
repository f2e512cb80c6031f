using System.Collections.Immutable;
using System.Text.Json;
using ImidCare.Rules;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Rules.Therapy;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace ImidCare.Server.Therapy;

/// <summary>What today holds for a patient: the calendar day, whether today's dose is taken, and the missed-dose answer.</summary>
public sealed record TodayView(LocalDate Date, CalendarDay? Day, bool TakenToday, MissedDoseAdvice? MissedDose, string Summary);

/// <summary>
/// The treatment companion's reads, shared by the JSON API, the CLI and the web pages: a stored
/// plan turned into the rules' TreatmentPlan, and everything computed from it. Nothing computed is
/// stored; the plan, diary, labs and assessments are the facts.
/// </summary>
public static class TherapyService
{
    /// <summary>
    /// The medicines of every REMS program the patient is enrolled in, whatever the enrollment's
    /// status: a paused enrollment stops dispensing (the REMS gate), not the plan, which the
    /// prescriber may still need to change (a hold while paused); it still names the medicine the
    /// patient has at home. A plan for any other medicine would tell the patient to take a dose of
    /// a capsule they do not have.
    /// </summary>
    public static async Task<IReadOnlyList<Drug>> EnrolledDrugsAsync(ImidCareDb db, string patientId, CancellationToken ct)
    {
        var programs = (await db.Enrollments.AsNoTracking().Where(e => e.PatientId == patientId).Select(e => e.ProgramId).ToListAsync(ct))
            .Select(ProgramCatalog.Find).OfType<ProgramRules>().ToList();
        return [.. Enum.GetValues<Drug>().Where(d => programs.Any(p => p.Covers(d.ToString())))];
    }

    /// <summary>The regimens of those medicines, in the catalog's order.</summary>
    public static IReadOnlyList<Regimen> RegimensFor(IReadOnlyCollection<Drug> drugs) => [.. Regimens.All.Where(r => drugs.Contains(r.Drug))];

    /// <summary>
    /// A diary keeps one entry per day: a later entry for a day corrects the earlier one
    /// (RecordDoseAsync). The latest one recorded is the day's entry, so nothing counts a day twice.
    /// Since migration OneDoseEntryPerDay the database holds one row per patient and day (a unique
    /// index; days that had several were folded the same way), so the grouping no longer changes
    /// what the reads see. Kept because it costs nothing beside the query that loaded the rows, the
    /// callers rely on its order by date, and the rule then stays stated where the diary is read.
    /// </summary>
    public static IEnumerable<DoseEntryRecord> OnePerDay(IEnumerable<DoseEntryRecord> entries) =>
        entries.GroupBy(e => e.Date).Select(g => g.OrderBy(e => e.RecordedAt).ThenBy(e => e.Id, StringComparer.Ordinal).Last()).OrderBy(e => e.Date);

    public static async Task<TreatmentPlanRecord?> PlanAsync(ImidCareDb db, string patientId, CancellationToken ct) =>
        await db.TreatmentPlans.AsNoTracking().Where(p => p.PatientId == patientId).OrderByDescending(p => p.SetAt).FirstOrDefaultAsync(ct);

    public static IReadOnlyList<Hold> Holds(TreatmentPlanRecord r) => JsonSerializer.Deserialize<List<Hold>>(r.HoldsJson, Json.Options) ?? [];

    public static IReadOnlyList<LocalDate> DialysisDays(TreatmentPlanRecord r) => JsonSerializer.Deserialize<List<LocalDate>>(r.DialysisDaysJson, Json.Options) ?? [];

    public static TreatmentPlan ToRule(TreatmentPlanRecord r, LocalDate dateOfBirth) => new(
        r.RegimenId,
        r.Start,
        Period.Between(dateOfBirth, r.Start, PeriodUnits.Years).Years,
        r.DoseMg,
        [.. Holds(r)],
        [.. DialysisDays(r)],
        r.DoseIntervalDays);

    /// <summary>
    /// The initial starting dose of this course (REVLIMID Table 1: "resume at 25 mg daily or initial
    /// starting dose"): the dose of the first plan set for this regimen and start date, since a later
    /// plan may carry a reduced dose.
    /// </summary>
    public static async Task<decimal> StartingDoseAsync(ImidCareDb db, TreatmentPlanRecord r, CancellationToken ct)
    {
        var first = await db.TreatmentPlans.AsNoTracking().Where(p => p.PatientId == r.PatientId && p.RegimenId == r.RegimenId && p.Start == r.Start)
            .OrderBy(p => p.SetAt).FirstOrDefaultAsync(ct) ?? r;
        return first.DoseMg ?? Regimens.Get(r.RegimenId).StartDoseMg;
    }

    public static DateTimeZone Zone(TreatmentPlanRecord r) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(r.TimeZoneId) ?? DateTimeZone.Utc;

    public static LocalDate Today(TreatmentPlanRecord r, Instant now) => now.InZone(Zone(r)).Date;

    public static TreatmentCalendar Calendar(TreatmentPlanRecord r, Patient patient, LocalDate through) =>
        CycleCalendar.Build(ToRule(r, patient.DateOfBirth), through);

    public static async Task<TodayView> TodayAsync(ImidCareDb db, TreatmentPlanRecord plan, Patient patient, Instant now, CancellationToken ct)
    {
        var today = Today(plan, now);
        var day = today < plan.Start ? null : Calendar(plan, patient, today).Days.FirstOrDefault(d => d.Date == today);
        var taken = OnePerDay(await db.DoseEntries.AsNoTracking().Where(d => d.PatientId == patient.Id && d.Date == today).ToListAsync(ct)).Any(d => d.Status == "taken");
        var regimen = Regimens.Get(plan.RegimenId);
        MissedDoseAdvice? missed = day?.Kind == DayKind.Dose
            ? MissedDose.Evaluate(regimen.Drug, today, plan.UsualDoseTime, Zone(plan), now, taken)
            : null;
        var summary = day?.Kind switch
        {
            null => today < plan.Start ? $"Treatment starts on {Fmt.Date(plan.Start)}." : "No treatment today.",
            DayKind.Dose when taken => $"Today's {day.DoseMg} mg dose is taken.",
            DayKind.Dose => $"Take {day.DoseMg} mg today (cycle {day.Cycle}, day {day.CycleDay}){(day.TakeAfterDialysis ? ", after dialysis" : string.Empty)}.",
            DayKind.Held => "Your doctor has paused this medicine: do not take it today.",
            _ => $"Rest day (cycle {day.Cycle}, day {day.CycleDay}): no capsule today.",
        };
        return new TodayView(today, day, taken, missed, summary);
    }

    /// <summary>The diary against what was dispensed to the patient.</summary>
    public static async Task<DiarySummary> DiaryAsync(ImidCareDb db, string patientId, int? countedRemaining, CancellationToken ct)
    {
        var entries = OnePerDay(await db.DoseEntries.AsNoTracking().Where(d => d.PatientId == patientId).ToListAsync(ct));
        var dispensed = await db.Dispenses.AsNoTracking().Where(d => d.PatientId == patientId).Select(d => new { d.DispensedOn, d.Quantity }).ToListAsync(ct);
        return DoseDiary.Summarize(
            entries.Select(e => new DiaryEntry(e.Date, Enum.Parse<DiaryStatus>(e.Status, ignoreCase: true), e.Capsules)),
            dispensed.Select(d => new Rules.Calendar.Dispensing(d.DispensedOn, d.Quantity)),
            countedRemaining);
    }

    /// <summary>Labs, thyroid and the rest from the label, merged with the REMS pregnancy test that is due.</summary>
    public static async Task<ImmutableArray<DueItem>> MonitoringAsync(ImidCareDb db, TreatmentPlanRecord plan, Patient patient, LocalDate through, Instant now, CancellationToken ct)
    {
        var regimen = Regimens.Get(plan.RegimenId);
        var extra = new List<DueItem>();
        var facts = await PatientFacts.LoadAsync(db, patient.Id, ProgramCatalog.ForDrug(regimen.Drug.ToString()), now, ct);
        if (facts is not null && facts.Category.CanGetPregnant())
        {
            var next = PregnancyTestRules.NextDue(facts.Tests, facts.Program, facts.Enrollment.TherapyStart ?? plan.Start,
                Enum.Parse<MenstrualPattern>(patient.MenstrualPattern), now);
            if (next is not null)
            {
                var basis = Decision.Allow(new Reason("REMS.PREGNANCY_TEST_DUE",
                    $"Pregnancy test due {Fmt.Date(next.DueOn)} (every {next.IntervalDays} days at this stage).", next.Source));
                extra.Add(new DueItem(next.DueOn, "pregnancy-test", next.Overdue ? "Pregnancy test (overdue)" : "Pregnancy test", basis));
            }
        }

        return MonitoringSchedule.Build(regimen.Drug, regimen.Indication, plan.Start, through, plan.HivPositive, extra);
    }

    /// <summary>Whether a caregiver holds a live grant from the patient.</summary>
    public static Task<bool> CaregiverMaySeeAsync(ImidCareDb db, string caregiverUserId, string patientId, CancellationToken ct) =>
        db.CaregiverGrants.AnyAsync(g => g.PatientId == patientId && g.CaregiverUserId == caregiverUserId && g.RevokedAt == null, ct);
}
