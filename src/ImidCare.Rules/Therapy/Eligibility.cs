using NodaTime;

namespace ImidCare.Rules.Therapy;

/// <summary>Treatment history for the POMALYST MM indication check.</summary>
public sealed record MyelomaHistory(
    int AgeYears,
    int PriorTherapies,
    bool PriorLenalidomide,
    bool PriorProteasomeInhibitor,
    bool ProgressedOnLastTherapy,
    LocalDate? LastTherapyCompleted,
    LocalDate? ProgressionDate);

/// <summary>POMALYST MM indication (clinical-rules §1.1; version trap §0.3 item 4: "proteasome inhibitor", not "bortezomib").</summary>
public static class PomalystEligibility
{
    public const int MinimumPriorTherapies = 2;
    public const int AdultAge = 18;

    /// <summary>"on or within 60 days of completion of the last therapy": day 60 qualifies, day 61 does not.</summary>
    public static readonly Period ProgressionWindow = Period.FromDays(60);

    public static readonly RuleSource Indication = Sources.Verified("POMALYST PI §1.1 MM indication (pomalysthcp.com; rxreasoner)", "L-V");
    public static readonly RuleSource Pediatric = Sources.Verified("POMALYST PI §8.4 pediatric use not established (FDA SrLC 11/20/2020)", "L-V");

    public static Decision Check(MyelomaHistory h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.PriorTherapies < 0 || h.AgeYears is < 0 or > 130)
        {
            throw new ArgumentException("PriorTherapies must be >= 0 and AgeYears 0-130.", nameof(h));
        }

        var checks = new List<Decision>
        {
            Rule(h.AgeYears >= AdultAge, "ADULT", $"Indicated for adults (age {h.AgeYears}).", Pediatric),
            Rule(h.PriorTherapies >= MinimumPriorTherapies, "PRIOR_THERAPIES", $"Needs at least {MinimumPriorTherapies} prior therapies (has {h.PriorTherapies}).", Indication),
            Rule(h.PriorLenalidomide, "PRIOR_LENALIDOMIDE", "Prior therapies must include lenalidomide.", Indication),
            Rule(h.PriorProteasomeInhibitor, "PRIOR_PROTEASOME_INHIBITOR", "Prior therapies must include a proteasome inhibitor.", Indication),
            Progression(h),
        };
        return Decision.Combine(checks);
    }

    private static Decision Progression(MyelomaHistory h)
    {
        if (h.ProgressedOnLastTherapy)
        {
            return Rule(true, "PROGRESSION", "Progressed on the last therapy.", Indication);
        }

        if (h.LastTherapyCompleted is not { } done || h.ProgressionDate is not { } prog)
        {
            return Rule(false, "PROGRESSION", "Needs documented progression on, or within 60 days of completing, the last therapy (dates missing).", Indication);
        }

        if (prog < done)
        {
            throw new ArgumentException("ProgressionDate is before LastTherapyCompleted while ProgressedOnLastTherapy is false.", nameof(h));
        }

        var days = Period.Between(done, prog, PeriodUnits.Days).Days;
        return Rule(prog <= done.Plus(ProgressionWindow), "PROGRESSION",
            $"Progression {days} days after completing the last therapy (must be within {ProgressionWindow.Days}).", Indication);
    }

    private static Decision Rule(bool ok, string code, string message, RuleSource src) =>
        ok ? Decision.Allow(new Reason(code, message, src)) : Decision.Deny(new Reason("NOT_" + code, message, src));
}
