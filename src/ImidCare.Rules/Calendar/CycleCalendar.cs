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
        var dialysis = plan.DialysisDaysOrEmpty.ToHashSet();
        var doseMask = new bool[regimen.CycleLengthDays + 1];
        foreach (var d in regimen.DoseDays)
        {
            doseMask[d] = true;
        }

        var days = ImmutableArray.CreateBuilder<CalendarDay>();
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

            for (var cd = 1; cd <= regimen.CycleLengthDays; cd++)
            {
                var date = cycleStart.PlusDays(cd - 1);
                if (date > through)
                {
                    break;
                }

                var hold = FindHold(holds, date);
                var partners = Partners(regimen, cycle, cd, plan.AgeYears, hold is not null);
                if (hold is not null)
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Held, null, false, partners));
                    continue;
                }

                dose = ResumeDose(holds, date) ?? dose;

                if (doseMask[cd] && (doseOrdinal++ % plan.DoseIntervalDays) == 0)
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Dose, dose, dialysis.Contains(date), partners));
                }
                else
                {
                    days.Add(new CalendarDay(date, cycle, cd, DayKind.Rest, null, false, partners));
                }
            }

            cycleStart = cycleStart.PlusDays(regimen.CycleLengthDays);
            cycle++;
        }

        var reasons = ImmutableArray.CreateBuilder<Reason>();
        reasons.Add(regimen.AsReason());
        reasons.Add(new Reason("HOLD_SEMANTICS", "A hold covering Day 1 delays the cycle; a mid-cycle hold does not extend it and held doses are not made up.", HoldSemantics));
        if (dialysis.Count > 0)
        {
            reasons.Add(new Reason("DIALYSIS_TIMING", "On hemodialysis days take the dose after dialysis.", DialysisTiming));
        }

        reasons.AddRange(regimen.Partners.Select(p => p.Source).Distinct().Select(s => new Reason("PARTNER_SCHEDULE", "Partner-drug days per partner label.", s)));
        return new TreatmentCalendar(regimen.Id, plan.Start, through, days.ToImmutable(), Decision.Allow([.. reasons]));
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

    private static ImmutableArray<PartnerDose> Partners(Regimen regimen, int cycle, int cycleDay, int age, bool duringHold)
    {
        if (regimen.Partners.IsEmpty)
        {
            return [];
        }

        var list = ImmutableArray.CreateBuilder<PartnerDose>();
        foreach (var p in regimen.Partners)
        {
            if (p.AppliesTo(cycle, age) && p.Days.Contains(cycleDay))
            {
                list.Add(new PartnerDose(p.Agent, p.Dose, duringHold));
            }
        }

        return list.ToImmutable();
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
