using System.Collections.Immutable;
using System.Globalization;

namespace ImidCare.Rules.Therapy;

/// <summary>Hematologic holds, restarts and Day-1 criteria driven by <see cref="HematologicRules"/>.</summary>
public static class DoseModification
{
    public static DoseAdvice EvaluateCounts(CountCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        Validate(check);

        var firing = RulesFor(check).Where(r => Fires(r, check)).ToList();

        if (check.HoldingFor is not null)
        {
            return EvaluateResume(check, firing);
        }

        var holds = firing.Where(r => r.Action == HemAction.Hold).ToList();
        if (holds.Count > 0)
        {
            // The row with the highest recovery bar is the one to pass back in.
            var lead = holds.OrderByDescending(r => r.ResumeAtOrAbove).First();
            return new DoseAdvice(DoseAction.Hold, null, null, lead.Id, lead.ResumeAtOrAbove,
                Decision.HoldFor([.. holds.Select(HoldReason)]));
        }

        var checkedReasons = ImmutableArray.CreateBuilder<Reason>();
        checkedReasons.AddRange(firing.Select(r => new Reason("CONTINUE_" + r.Id, $"Count in the band where the label says continue at the current dose ({r.Id}).", r.Source)));

        if (check.IsCycleDay1)
        {
            var failures = CycleStartFailures(check).ToList();
            if (failures.Count > 0)
            {
                return new DoseAdvice(DoseAction.Hold, null, null, null, null, Decision.HoldFor([.. failures]));
            }

            checkedReasons.AddRange(HematologicRules.CycleStart
                .Where(c => c.Drug == check.Drug && c.Indication == check.Indication && (!c.FirstCycleOnly || check.IsFirstCycle))
                .Select(c => new Reason("CYCLE_START_MET", $"Day-1 counts meet {c.Id}.", c.Source)));
        }

        if (checkedReasons.Count == 0)
        {
            checkedReasons.Add(new Reason("NO_HOLD_RULE_FIRED", "No hematologic hold rule fired for these counts.", RulesFor(check).FirstOrDefault()?.Source
                ?? Sources.Unverified("No hematologic table in the source documents for this drug/indication", "K")));
        }

        return new DoseAdvice(DoseAction.Continue, check.CurrentDoseMg, null, null, null, Decision.Allow([.. checkedReasons]));
    }

    private static DoseAdvice EvaluateResume(CountCheck check, List<HematologicRule> firing)
    {
        var rule = HematologicRules.Get(check.HoldingFor!);
        if (rule.Drug != check.Drug || rule.Indication != check.Indication)
        {
            throw new ArgumentException($"Rule '{rule.Id}' does not belong to {check.Drug} / {check.Indication}.", nameof(check));
        }

        var value = rule.RecoveryCount == CountKind.Platelets ? check.Platelets : check.Anc;
        if (value is null)
        {
            throw new ArgumentException($"{(rule.RecoveryCount == CountKind.Platelets ? "Platelets" : "Anc")} is required to decide whether hold '{rule.Id}' can be lifted.", nameof(check));
        }

        var otherHolds = firing.Where(r => r.Action == HemAction.Hold && r.Id != rule.Id).ToList();
        if (value < rule.ResumeAtOrAbove || otherHolds.Count > 0)
        {
            var reasons = new List<Reason>
            {
                new("HOLD_CONTINUES", string.Create(CultureInfo.InvariantCulture, $"Keep holding: {rule.RecoveryCount} must recover to at least {rule.ResumeAtOrAbove:N0}/mcL (now {value:N0})."), rule.Source),
            };
            reasons.AddRange(otherHolds.Select(HoldReason));
            return new DoseAdvice(DoseAction.Hold, null, null, rule.Id, rule.ResumeAtOrAbove, Decision.HoldFor([.. reasons]));
        }

        var recovered = new Reason("RECOVERED", string.Create(CultureInfo.InvariantCulture, $"{rule.RecoveryCount} recovered to {value:N0}/mcL (needs at least {rule.ResumeAtOrAbove:N0})."), rule.Source);
        return ResumeAt(check, rule.Resume, recovered);
    }

    internal static DoseAdvice ResumeAt(CountCheck check, ResumeRule resume, Reason why)
    {
        var ladder = DoseLadders.For(check.Drug, check.Indication);
        switch (resume)
        {
            case ResumeRule.SameDose:
                return new DoseAdvice(DoseAction.Resume, check.CurrentDoseMg, null, null, null,
                    Decision.Allow(why, new Reason("RESUME_SAME_DOSE", "Resume at the same dose.", why.Source)));

            case ResumeRule.StartingDoseIfOnlyToxicityElseNextLower when check.PriorNeutropeniaHolds == 0 && check.NeutropeniaIsOnlyToxicity:
                var start = check.StartingDoseMg ?? Regimens.All.First(r => r.Drug == check.Drug && r.Indication == check.Indication).StartDoseMg;
                return new DoseAdvice(DoseAction.Resume, start, null, null, null,
                    Decision.Allow(why, new Reason("RESUME_STARTING_DOSE", $"First drop with neutropenia as the only toxicity: resume at the starting dose ({start} mg).", why.Source)));
        }

        if (ladder is null)
        {
            return new DoseAdvice(DoseAction.ReferToPrescriber, null, null, null, null, Decision.HoldFor(why,
                new Reason("NO_LADDER", "No dose-reduction ladder in the source documents for this drug/indication; the prescriber sets the dose.",
                    Sources.Unverified("No ladder in clinical-rules.md / addendum", "K"))));
        }

        var ladderReason = new Reason(resume == ResumeRule.OneMgLess ? "RESUME_1MG_LESS" : "RESUME_NEXT_LOWER",
            resume == ResumeRule.OneMgLess ? "Resume at 1 mg less than the previous dose." : "Resume at the next lower dose level.", ladder.Source);
        var next = ladder.NextLower(check.CurrentDoseMg, check.CurrentDayTo);
        if (next is not null)
        {
            return new DoseAdvice(DoseAction.Resume, next.Mg, next.DaysText, null, null, Decision.Allow(why, ladderReason));
        }

        return ladder.Floor switch
        {
            FloorBehavior.DiscontinueBelowFloor => new DoseAdvice(DoseAction.Discontinue, null, null, null, null, Decision.Deny(why,
                new Reason("DISCONTINUE_BELOW_FLOOR", $"Unable to tolerate {ladder.FloorLevel.Mg} mg: permanently discontinue.", ladder.Source))),
            FloorBehavior.StayAtFloor => new DoseAdvice(DoseAction.Resume, ladder.FloorLevel.Mg, ladder.FloorLevel.DaysText, null, null, Decision.Allow(why,
                new Reason("RESUME_AT_FLOOR", $"Do not dose below {ladder.FloorLevel.Mg} mg {ladder.FloorLevel.DaysText}: resume at the floor.", ladder.Source))),
            _ => new DoseAdvice(DoseAction.ReferToPrescriber, null, null, null, null, Decision.HoldFor(why,
                new Reason("STEP_BELOW_FLOOR_UNCONFIRMED", $"The step below {ladder.FloorLevel.Mg} mg is not confirmed by any source; the prescriber decides.", ladder.Source))),
        };
    }

    public static bool Fires(HematologicRule rule, CountCheck check)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(check);
        if ((rule.When == CheckPoint.CycleDay1 && !check.IsCycleDay1) || (rule.When == CheckPoint.DuringCycle && check.IsCycleDay1))
        {
            return false;
        }

        var value = rule.Trigger == CountKind.Platelets ? check.Platelets : check.Anc;
        if (value is null || value >= rule.Below || (rule.AtLeast is { } lo && value < lo))
        {
            return false;
        }

        if (rule.LowForDays is { } days && check.AncLowForDays < days)
        {
            return false;
        }

        if (rule.Trigger != CountKind.FebrileNeutropenia)
        {
            return true;
        }

        var t = check.TemperatureC;
        return t is not null && ((rule.FeverSingleC is { } single && t >= single)
            || (rule.FeverSustainedC is { } sustained && check.FeverSustainedOverOneHour && t >= sustained));
    }

    private static IEnumerable<Reason> CycleStartFailures(CountCheck check)
    {
        foreach (var c in HematologicRules.CycleStart.Where(c => c.Drug == check.Drug && c.Indication == check.Indication && (!c.FirstCycleOnly || check.IsFirstCycle)))
        {
            if (c.AncAtLeast is { } anc && (check.Anc is null || check.Anc < anc))
            {
                yield return new Reason("CYCLE_START_ANC", string.Create(CultureInfo.InvariantCulture, $"Do not start the cycle: ANC must be at least {anc:N0}/mcL (now {check.Anc?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"})."), c.Source);
            }

            if (c.PlateletsAtLeast is { } plt && (check.Platelets is null || check.Platelets < plt))
            {
                yield return new Reason("CYCLE_START_PLATELETS", string.Create(CultureInfo.InvariantCulture, $"Do not start the cycle: platelets must be at least {plt:N0}/mcL (now {check.Platelets?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"})."), c.Source);
            }
        }
    }

    private static IEnumerable<HematologicRule> RulesFor(CountCheck check) => HematologicRules.For(check.Drug, check.Indication);

    private static Reason HoldReason(HematologicRule r) => new(
        "HOLD_" + r.Id.ToUpperInvariant().Replace('-', '_'),
        string.Create(CultureInfo.InvariantCulture, $"Withhold: {Describe(r)}. Follow CBC weekly; resume when {r.RecoveryCount} is at least {r.ResumeAtOrAbove:N0}/mcL."),
        r.Source);

    private static string Describe(HematologicRule r) => r.Trigger switch
    {
        CountKind.FebrileNeutropenia => string.Create(CultureInfo.InvariantCulture, $"febrile neutropenia (ANC < {r.Below:N0}/mcL with fever)"),
        CountKind.Platelets => string.Create(CultureInfo.InvariantCulture, $"platelets < {r.Below:N0}/mcL"),
        _ => string.Create(CultureInfo.InvariantCulture, $"ANC < {r.Below:N0}/mcL{(r.LowForDays is { } d ? $" for at least {d} days" : string.Empty)}"),
    };

    private static void Validate(CountCheck c)
    {
        if (c.CurrentDoseMg <= 0)
        {
            throw new ArgumentException("CurrentDoseMg must be positive.", nameof(c));
        }

        if (c.Anc is < 0 || c.Platelets is < 0)
        {
            throw new ArgumentException("Anc and Platelets cannot be negative.", nameof(c));
        }

        if (c.Anc is > 100_000 || c.Platelets is > 5_000_000)
        {
            throw new ArgumentException("Anc and Platelets are per mcL (e.g. ANC 1500, platelets 150000); the value given is implausible.", nameof(c));
        }

        if (c.TemperatureC is < 30m or > 45m)
        {
            throw new ArgumentException("TemperatureC must be in degrees Celsius (30-45).", nameof(c));
        }

        if (c.AncLowForDays < 0 || c.PriorNeutropeniaHolds < 0)
        {
            throw new ArgumentException("AncLowForDays and PriorNeutropeniaHolds cannot be negative.", nameof(c));
        }
    }
}
