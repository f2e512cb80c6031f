using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

public enum AdverseEvent
{
    Angioedema,
    Anaphylaxis,
    Rash,
    SkinExfoliation,
    Bullae,
    StevensJohnsonSyndrome,
    ToxicEpidermalNecrolysis,
    Dress,
    TumorFlare,
    PeripheralNeuropathy,
    Other,
}

public enum NonHemAction
{
    DiscontinuePermanently,
    Hold,
    ConsiderHoldOrDiscontinue,
    Continue,
}

/// <summary>A non-hematologic row: fires for the event at a CTCAE grade between MinGrade and MaxGrade.</summary>
public sealed record NonHematologicRule(
    string Id,
    Drug Drug,
    AdverseEvent Event,
    int MinGrade,
    int MaxGrade,
    ImmutableArray<Indication> OnlyFor,
    NonHemAction Action,
    int? ResumeWhenGradeAtMost,
    ResumeRule Resume,
    RuleSource Source);

/// <summary>Non-hematologic rows (clinical-rules §1.6, §2.4, §3.2; addendum A).</summary>
public static class NonHematologicRules
{
    private static readonly RuleSource PomT3 = Sources.Verified("POMALYST PI §2.4 Table 3 (pomalysthcp.com dose-modifications; addendum A)", "L-V");
    private static readonly RuleSource PomRash23 = Sources.Unverified("POMALYST PI Grade 2-3 rash (clinical-rules §1.6)", "K");
    private static readonly RuleSource LenStops = Sources.Unverified("REVLIMID PI §2 other toxicities (clinical-rules §2.4)", "K");
    private static readonly RuleSource LenOther = Sources.Unverified("REVLIMID PI 'restart at next lower dose when <= Grade 2' (2006 label, 120ty aid=3639)", "L-OLD");
    private static readonly RuleSource LenFlare = Sources.Unverified("REVLIMID PI tumor flare reaction MCL/FL/MZL (clinical-rules §2.4)", "K");
    private static readonly RuleSource Thal = Sources.Unverified("THALOMID PI §2 / W&P (clinical-rules §3.2; addendum D: STILL UNCONFIRMED)", "K");

    private static readonly AdverseEvent[] PermanentStops =
    [
        AdverseEvent.Angioedema, AdverseEvent.Anaphylaxis, AdverseEvent.SkinExfoliation, AdverseEvent.Bullae,
        AdverseEvent.StevensJohnsonSyndrome, AdverseEvent.ToxicEpidermalNecrolysis, AdverseEvent.Dress,
    ];

    private static IEnumerable<NonHematologicRule> Stops(Drug drug, string prefix, RuleSource src) =>
        PermanentStops.Select(e => new NonHematologicRule($"{prefix}-stop-{e.ToString().ToLowerInvariant()}", drug, e, 1, 5, [], NonHemAction.DiscontinuePermanently, null, ResumeRule.SameDose, src))
            .Append(new NonHematologicRule($"{prefix}-stop-rash-g4", drug, AdverseEvent.Rash, 4, 5, [], NonHemAction.DiscontinuePermanently, null, ResumeRule.SameDose, src));

    private static readonly ImmutableArray<Indication> Lymphoma = [Indication.MantleCellLymphoma, Indication.FollicularOrMarginalZoneLymphoma];

    public static readonly ImmutableArray<NonHematologicRule> All =
    [
        .. Stops(Drug.Pomalidomide, "pom", PomT3),
        new("pom-rash-g2-3", Drug.Pomalidomide, AdverseEvent.Rash, 2, 3, [], NonHemAction.ConsiderHoldOrDiscontinue, null, ResumeRule.SameDose, PomRash23),
        new("pom-other-g3-4", Drug.Pomalidomide, AdverseEvent.Other, 3, 4, [], NonHemAction.Hold, 2, ResumeRule.OneMgLess, PomT3),
        new("pom-neuropathy-g3-4", Drug.Pomalidomide, AdverseEvent.PeripheralNeuropathy, 3, 4, [], NonHemAction.Hold, 2, ResumeRule.OneMgLess, PomT3),

        .. Stops(Drug.Lenalidomide, "len", LenStops),
        new("len-rash-g2-3", Drug.Lenalidomide, AdverseEvent.Rash, 2, 3, [], NonHemAction.ConsiderHoldOrDiscontinue, null, ResumeRule.SameDose, LenStops),
        new("len-other-g3-4", Drug.Lenalidomide, AdverseEvent.Other, 3, 4, [], NonHemAction.Hold, 2, ResumeRule.NextLowerLevel, LenOther),
        new("len-neuropathy-g3-4", Drug.Lenalidomide, AdverseEvent.PeripheralNeuropathy, 3, 4, [], NonHemAction.Hold, 2, ResumeRule.NextLowerLevel, LenOther),

        // Tumor flare: withhold until <= Grade 1, not <= Grade 2.
        new("len-flare-g3-4", Drug.Lenalidomide, AdverseEvent.TumorFlare, 3, 4, Lymphoma, NonHemAction.Hold, 1, ResumeRule.SameDose, LenFlare),
        new("len-flare-g1-2", Drug.Lenalidomide, AdverseEvent.TumorFlare, 1, 2, Lymphoma, NonHemAction.Continue, null, ResumeRule.SameDose, LenFlare),

        .. Stops(Drug.Thalidomide, "thal", Thal),
        new("thal-neuropathy", Drug.Thalidomide, AdverseEvent.PeripheralNeuropathy, 1, 4, [], NonHemAction.ConsiderHoldOrDiscontinue, null, ResumeRule.SameDose, Thal),
        new("thal-other-g3-4", Drug.Thalidomide, AdverseEvent.Other, 3, 4, [], NonHemAction.ConsiderHoldOrDiscontinue, null, ResumeRule.SameDose, Thal),
    ];
}

/// <summary>
/// A non-hematologic event. Set <see cref="CurrentGrade"/> while the drug is held to ask whether
/// it can restart (the event has improved to that grade).
/// </summary>
public sealed record AdverseEventCheck(Drug Drug, Indication Indication, decimal CurrentDoseMg, AdverseEvent Event, int Grade, int? CurrentGrade = null);

public static class NonHematologicModification
{
    public static DoseAdvice Evaluate(AdverseEventCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (check.Grade is < 1 or > 5)
        {
            throw new ArgumentException("Grade must be a CTCAE grade 1-5.", nameof(check));
        }

        if (check.CurrentGrade is < 0 or > 5)
        {
            throw new ArgumentException("CurrentGrade must be 0-5.", nameof(check));
        }

        if (check.CurrentDoseMg <= 0)
        {
            throw new ArgumentException("CurrentDoseMg must be positive.", nameof(check));
        }

        var rows = NonHematologicRules.All
            .Where(r => r.Drug == check.Drug && r.Event == check.Event && check.Grade >= r.MinGrade && check.Grade <= r.MaxGrade
                        && (r.OnlyFor.IsEmpty || r.OnlyFor.Contains(check.Indication)))
            .OrderBy(r => r.Action)
            .ToList();

        if (rows.Count == 0)
        {
            return new DoseAdvice(DoseAction.Continue, check.CurrentDoseMg, null, null, null, Decision.Allow(new Reason(
                "NO_NONHEM_RULE", $"No label row requires a change for {check.Event} grade {check.Grade}; use clinical judgment.",
                Sources.Unverified("No matching row in clinical-rules.md §1.6/§2.4/§3.2", "K"))));
        }

        var rule = rows[0];
        var reason = new Reason("NONHEM_" + rule.Id.ToUpperInvariant().Replace('-', '_'), Message(rule, check), rule.Source);
        switch (rule.Action)
        {
            case NonHemAction.DiscontinuePermanently:
                return new DoseAdvice(DoseAction.Discontinue, null, null, rule.Id, null, Decision.Deny(reason));
            case NonHemAction.ConsiderHoldOrDiscontinue:
                return new DoseAdvice(DoseAction.ReferToPrescriber, null, null, rule.Id, null, Decision.HoldFor(reason));
            case NonHemAction.Continue:
                return new DoseAdvice(DoseAction.Continue, check.CurrentDoseMg, null, null, null, Decision.Allow(reason));
        }

        if (check.CurrentGrade is { } now && now <= rule.ResumeWhenGradeAtMost)
        {
            var cc = new CountCheck(check.Drug, check.Indication, check.CurrentDoseMg, null, null);
            return DoseModification.ResumeAt(cc, rule.Resume, reason with { Code = "RESOLVED_" + reason.Code, Message = $"Resolved to grade {now}: restart at physician's discretion." });
        }

        return new DoseAdvice(DoseAction.Hold, null, null, rule.Id, null, Decision.HoldFor(reason));
    }

    private static string Message(NonHematologicRule r, AdverseEventCheck c) => r.Action switch
    {
        NonHemAction.DiscontinuePermanently => $"{c.Event} (grade {c.Grade}): permanently discontinue {c.Drug}.",
        NonHemAction.ConsiderHoldOrDiscontinue => $"{c.Event} (grade {c.Grade}): consider withholding or discontinuing; prescriber decides.",
        NonHemAction.Continue => $"{c.Event} (grade {c.Grade}): may continue with supportive care at physician discretion.",
        _ => $"{c.Event} (grade {c.Grade}): withhold; restart when resolved to grade {r.ResumeWhenGradeAtMost} or less.",
    };
}
