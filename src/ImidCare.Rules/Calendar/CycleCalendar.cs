using System.Collections.Concurrent;
using System.Collections.Immutable;
using ImidCare.Rules.Therapy;
using NodaTime;

namespace ImidCare.Rules.Calendar;

/// <summary>
/// Builds the day-by-day cycle calendar. Hold semantics follow the labels:
/// a hold that covers a cycle's Day 1 delays that cycle until the resume date ("initiate a new
/// cycle when ..."), while a hold that starts mid-cycle does not extend the cycle - the held dose
/// days are lost, never made up, and the next cycle starts on its usual day.
/// </summary>
public static class CycleCalendar
{
    public static readonly RuleSource HoldSemantics = Sources.Verified(
        "POMALYST/REVLIMID PI §2 'initiate a new cycle when ...'; missed doses are not made up (clinical-rules §1.2, §1.3)", "L-V");

    public static readonly RuleSource DialysisTiming = Sources.Verified(
        "POMALYST PI §2.7 / REVLIMID PI §2.6: on dialysis days take after hemodialysis (clinical-rules §1.2, §2.5)", "L-V");

    public static TreatmentCalendar Build(TreatmentPlan plan, LocalDate through)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var regimen = Regimens.Get(plan.RegimenId);
        Validate(plan, through);

        var holds = plan.HoldsOrEmpty.OrderBy(h => h.From).ToArray();
        var dialysis = plan.DialysisDaysOrEmpty.IsEmpty ? null : plan.DialysisDaysOrEmpty.ToHashSet();
        var table = Tables.GetOrAdd(regimen.Id, _ => new RegimenTable(regimen));
        var ageClass = table.AgeClass(plan.AgeYears);

        var days = ImmutableArray.CreateBuilder<CalendarDay>(Period.Between(plan.Start, through, PeriodUnits.Days).Days + 1);
        var dose = plan.DoseMg ?? regimen.StartDoseMg;
        var cycleStart = plan.Start;
        var cycle = 1;
        var doseOrdinal = 0;

        while (cycleStart <= through && (regimen.MaxCycles is null || cycle <= regimen.MaxCycles))
        {
            var delaying = FindHold(holds, cycleStart);
            if (delaying is not null)
            {
                dose = delaying.ResumeDoseMg ?? dose;
                var stopAt = delaying.ResumeOn is { } r && r <= through ? r : through.PlusDays(1);
                for (var d = cycleStart; d < stopAt; d = d.PlusDays(1))
                {
                    // Days before a delayed Day 1 belong to the previous cycle's tail.
                    days.Add(new CalendarDay(d, cycle - 1, 0, DayKind.Held, null, false, []));
                }

                if (delaying.ResumeOn is null || delaying.ResumeOn.Value > through)
                {
                    break;
                }

                cycleStart = delaying.ResumeOn.Value;
                continue;
            }

            // "Every 48 hours" counts within each cycle's dosing days, so Day 1 of every cycle is a dose
            // day: carried across cycles, an odd number of dosing days (21) would start cycle 2 on a rest day.
            doseOrdinal = 0;
            var date = cycleStart;
            for (var cd = 1; cd <= regimen.CycleLengthDays; cd++, date = date.PlusDays(1))
            {
                if (date > through)
                {
                    break;
                }

                var hold = holds.Length == 0 ? null : FindHold(holds, date);
                var partners = table.Partners(cycle, cd, ageClass, hold is not null);
                if (hold is not null)
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Held, null, false, partners));
                    continue;
                }

                if (holds.Length > 0)
                {
                    dose = ResumeDose(holds, date) ?? dose;
                }

                if (table.DoseMask[cd] && (doseOrdinal++ % plan.DoseIntervalDays) == 0)
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Dose, dose, dialysis is not null && dialysis.Contains(date), partners));
                }
                else
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Rest, null, false, partners));
                }
            }

            cycleStart = cycleStart.PlusDays(regimen.CycleLengthDays);
            cycle++;
        }

        var reasons = dialysis is null ? table.Reasons : table.Reasons.Add(
            new Reason("DIALYSIS_TIMING", "On hemodialysis days take the dose after dialysis.", DialysisTiming));
        return new TreatmentCalendar(regimen.Id, plan.Start, through, days.ToImmutable(), new Decision(Outcome.Allowed, reasons));
    }

    private static readonly ConcurrentDictionary<string, RegimenTable> Tables = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Per-regimen lookups computed once: the dose-day mask, the partner doses for every
    /// (cycle band, cycle day, age band, hold) combination, and the reasons every calendar cites.
    /// </summary>
    private sealed class RegimenTable
    {
        private static readonly int[] AgeProbes = [74, 75, 76];
        private readonly int lastDistinctCycle;
        private readonly ImmutableArray<PartnerDose>[,,,] partners;

        public RegimenTable(Regimen regimen)
        {
            DoseMask = new bool[regimen.CycleLengthDays + 1];
            foreach (var d in regimen.DoseDays)
            {
                DoseMask[d] = true;
            }

            // Schedules only change at FromCycle / ToCycle + 1, so every later cycle looks like this one.
            lastDistinctCycle = regimen.Partners.Select(p => Math.Max(p.FromCycle, (p.ToCycle ?? 0) + 1)).DefaultIfEmpty(1).Max();
            partners = new ImmutableArray<PartnerDose>[lastDistinctCycle + 1, regimen.CycleLengthDays + 1, AgeProbes.Length, 2];
            for (var c = 1; c <= lastDistinctCycle; c++)
            {
                for (var cd = 1; cd <= regimen.CycleLengthDays; cd++)
                {
                    for (var a = 0; a < AgeProbes.Length; a++)
                    {
                        for (var h = 0; h < 2; h++)
                        {
                            partners[c, cd, a, h] = [.. regimen.Partners
                                .Where(p => p.AppliesTo(c, AgeProbes[a]) && p.Days.Contains(cd))
                                .Select(p => new PartnerDose(p.Agent, p.Dose, h == 1))];
                        }
                    }
                }
            }

            var reasons = ImmutableArray.CreateBuilder<Reason>();
            reasons.Add(regimen.AsReason());
            reasons.Add(new Reason("HOLD_SEMANTICS", "A hold covering Day 1 delays the cycle; a mid-cycle hold does not extend it and held doses are not made up.", HoldSemantics));
            reasons.AddRange(regimen.Partners.Select(p => p.Source).Distinct().Select(s => new Reason("PARTNER_SCHEDULE", "Partner-drug days per partner label.", s)));
            Reasons = reasons.ToImmutable();
        }

        public bool[] DoseMask { get; }

        public ImmutableArray<Reason> Reasons { get; }

        /// <summary>Age rows only distinguish below 75, exactly 75 and above 75.</summary>
        public int AgeClass(int age) => age < 75 ? 0 : age == 75 ? 1 : 2;

        public ImmutableArray<PartnerDose> Partners(int cycle, int cycleDay, int ageClass, bool held) =>
            partners[Math.Min(cycle, lastDistinctCycle), cycleDay, ageClass, held ? 1 : 0];
    }

    private static Hold? FindHold(Hold[] holds, LocalDate date)
    {
        foreach (var h in holds)
        {
            if (h.Covers(date))
            {
                return h;
            }
        }

        return null;
    }

    private static decimal? ResumeDose(Hold[] holds, LocalDate date)
    {
        foreach (var h in holds)
        {
            if (h.ResumeOn == date && h.ResumeDoseMg is { } d)
            {
                return d;
            }
        }

        return null;
    }

    private static void Validate(TreatmentPlan plan, LocalDate through)
    {
        if (through < plan.Start)
        {
            throw new ArgumentException($"'through' ({through}) is before the plan start ({plan.Start}).", nameof(through));
        }

        if (plan.AgeYears is < 0 or > 130)
        {
            throw new ArgumentException($"AgeYears {plan.AgeYears} is outside 0-130.", nameof(plan));
        }

        if (plan.DoseIntervalDays is < 1 or > 7)
        {
            throw new ArgumentException("DoseIntervalDays must be between 1 and 7.", nameof(plan));
        }

        if (plan.DoseMg is <= 0)
        {
            throw new ArgumentException("DoseMg must be positive.", nameof(plan));
        }

        foreach (var h in plan.HoldsOrEmpty)
        {
            if (h.ResumeOn is { } r && r <= h.From)
            {
                throw new ArgumentException($"Hold from {h.From} resumes on {r}, which is not after its start.", nameof(plan));
            }

            if (h.ResumeDoseMg is <= 0)
            {
                throw new ArgumentException("Hold.ResumeDoseMg must be positive.", nameof(plan));
            }
        }
    }
}
