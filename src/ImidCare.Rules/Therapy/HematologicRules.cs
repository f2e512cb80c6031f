using System.Collections.Immutable;

namespace ImidCare.Rules.Therapy;

public enum CountKind
{
    Anc,
    Platelets,
    FebrileNeutropenia,
}

/// <summary>When a row applies: any day, only on Day 1 of a cycle, or only during a cycle (not Day 1).</summary>
public enum CheckPoint
{
    AnyDay,
    CycleDay1,
    DuringCycle,
}

public enum HemAction
{
    Hold,
    Continue,
}

public enum ResumeRule
{
    OneMgLess,
    SameDose,
    NextLowerLevel,

    /// <summary>REVLIMID MM Table 1: first drop with neutropenia as the only toxicity resumes at the starting dose.</summary>
    StartingDoseIfOnlyToxicityElseNextLower,
}

/// <summary>
/// One label row. Fires when the count is below <see cref="Below"/> (and at least
/// <see cref="AtLeast"/> for banded rows). Febrile rows also need a fever: a single reading at or
/// above <see cref="FeverSingleC"/>, or a reading at or above <see cref="FeverSustainedC"/>
/// sustained for more than one hour. <see cref="LowForDays"/> rows need the count low that many days.
/// </summary>
public sealed record HematologicRule(
    string Id,
    Drug Drug,
    Indication Indication,
    CountKind Trigger,
    CheckPoint When,
    int? AtLeast,
    int Below,
    decimal? FeverSingleC,
    decimal? FeverSustainedC,
    int? LowForDays,
    HemAction Action,
    int ResumeAtOrAbove,
    ResumeRule Resume,
    RuleSource Source)
{
    /// <summary>Which count decides recovery: platelets for platelet rows, ANC otherwise.</summary>
    public CountKind RecoveryCount => Trigger == CountKind.Platelets ? CountKind.Platelets : CountKind.Anc;
}

/// <summary>Day-1 requirement to start a cycle.</summary>
public sealed record CycleStartCriterion(string Id, Drug Drug, Indication Indication, int? AncAtLeast, int? PlateletsAtLeast, bool FirstCycleOnly, RuleSource Source);

/// <summary>Hematologic tables (clinical-rules §1.3-1.5, §2.4, §3.2; addendum A, C, D).</summary>
public static class HematologicRules
{
    private static readonly RuleSource PomT1 = Sources.Verified("POMALYST PI §2.4 Table 1 (Medscape 999809; pomalysthcp.com; addendum A CONFIRMED)", "L-S");
    private static readonly RuleSource PomT1Fn = Sources.Verified("POMALYST PI §2.4 Table 1 febrile neutropenia >= 38.5 C (pomalysthcp.com; addendum A)", "L-V");
    private static readonly RuleSource PomT1Plt = Sources.Unverified("POMALYST PI §2.4 Table 1 thrombocytopenia; current resume dose (addendum A: PARTIAL)", "L-OLD");
    private static readonly RuleSource PomT2Anc = Sources.Verified("POMALYST PI §2.4 Table 2 KS neutropenia (Medscape; Davis; addendum A CONFIRMED)", "L-S");
    private static readonly RuleSource PomT2Unconfirmed = Sources.Unverified("POMALYST PI §2.4 Table 2 KS (addendum A: STILL UNCONFIRMED)", "K");
    private static readonly RuleSource LenT1 = Sources.Verified("REVLIMID PI §2.1 Table 1 (themeditary; drugs.com; addendum C CONFIRMED)", "L-V");
    private static readonly RuleSource LenMaintAnc = Sources.Verified("REVLIMID PI maintenance neutropenia (revlimidhcp.com; addendum C CONFIRMED)", "L-V");
    private static readonly RuleSource LenMaintPlt = Sources.Unverified("REVLIMID PI maintenance thrombocytopenia (addendum C: STILL UNCONFIRMED)", "K");
    private static readonly RuleSource LenMcl = Sources.Unverified("REVLIMID PI MCL table (clinical-rules §2.4; addendum C: STILL UNCONFIRMED)", "K");
    private static readonly RuleSource LenFl = Sources.Unverified("REVLIMID PI FL/MZL table (clinical-rules §2.4; addendum C: STILL UNCONFIRMED)", "K");
    private static readonly RuleSource LenMds = Sources.Unverified("REVLIMID PI MDS table, 'after 4 weeks' rows (clinical-rules §2.4; addendum C: PARTIAL)", "K");

    private static HematologicRule Row(string id, Drug d, Indication i, CountKind t, int below, int resumeAt, ResumeRule r, RuleSource s,
        CheckPoint when = CheckPoint.AnyDay, int? atLeast = null, decimal? fever = null, decimal? sustained = null, int? days = null, HemAction a = HemAction.Hold) =>
        new(id, d, i, t, when, atLeast, below, fever, sustained, days, a, resumeAt, r, s);

    private const Drug P = Drug.Pomalidomide;
    private const Drug L = Drug.Lenalidomide;
    private const Indication Mm = Indication.MultipleMyeloma;
    private const Indication Ks = Indication.KaposiSarcoma;

    /// <summary>The rows of one drug and indication, in table order.</summary>
    public static IEnumerable<HematologicRule> For(Drug drug, Indication indication) => All.Where(r => r.Drug == drug && r.Indication == indication);

    public static readonly ImmutableArray<HematologicRule> All =
    [
        // POMALYST MM Table 1: every occurrence resumes at 1 mg less (current label; the 2013 "3 mg" is superseded).
        Row("pom-mm-anc", P, Mm, CountKind.Anc, 500, 500, ResumeRule.OneMgLess, PomT1),
        Row("pom-mm-fn", P, Mm, CountKind.FebrileNeutropenia, 1000, 500, ResumeRule.OneMgLess, PomT1Fn, fever: 38.5m),
        Row("pom-mm-plt", P, Mm, CountKind.Platelets, 25000, 50000, ResumeRule.OneMgLess, PomT1Plt),

        // POMALYST KS Table 2.
        Row("pom-ks-anc-day1", P, Ks, CountKind.Anc, 1000, 1000, ResumeRule.SameDose, PomT2Anc, CheckPoint.CycleDay1, atLeast: 500),
        Row("pom-ks-anc-during", P, Ks, CountKind.Anc, 1000, 1000, ResumeRule.SameDose, PomT2Anc, CheckPoint.DuringCycle, atLeast: 500, a: HemAction.Continue),
        Row("pom-ks-anc-low", P, Ks, CountKind.Anc, 500, 1000, ResumeRule.SameDose, PomT2Anc),
        Row("pom-ks-fn", P, Ks, CountKind.FebrileNeutropenia, 1000, 1000, ResumeRule.OneMgLess, PomT2Unconfirmed, fever: 38.3m, sustained: 38.0m),
        Row("pom-ks-plt-day1", P, Ks, CountKind.Platelets, 50000, 50000, ResumeRule.SameDose, PomT2Unconfirmed, CheckPoint.CycleDay1, atLeast: 25000),
        Row("pom-ks-plt-during", P, Ks, CountKind.Platelets, 50000, 50000, ResumeRule.SameDose, PomT2Unconfirmed, CheckPoint.DuringCycle, atLeast: 25000, a: HemAction.Continue),
        Row("pom-ks-plt-low", P, Ks, CountKind.Platelets, 25000, 50000, ResumeRule.OneMgLess, PomT2Unconfirmed),

        // REVLIMID MM combination Table 1.
        Row("len-mm-plt", L, Mm, CountKind.Platelets, 30000, 30000, ResumeRule.NextLowerLevel, LenT1),
        Row("len-mm-anc", L, Mm, CountKind.Anc, 1000, 1000, ResumeRule.StartingDoseIfOnlyToxicityElseNextLower, LenT1),

        // REVLIMID maintenance.
        Row("len-maint-anc", L, Indication.MultipleMyelomaMaintenance, CountKind.Anc, 500, 500, ResumeRule.NextLowerLevel, LenMaintAnc),
        Row("len-maint-plt", L, Indication.MultipleMyelomaMaintenance, CountKind.Platelets, 30000, 30000, ResumeRule.NextLowerLevel, LenMaintPlt),

        // REVLIMID MCL.
        Row("len-mcl-plt", L, Indication.MantleCellLymphoma, CountKind.Platelets, 50000, 50000, ResumeRule.NextLowerLevel, LenMcl),
        Row("len-mcl-anc-low", L, Indication.MantleCellLymphoma, CountKind.Anc, 500, 1000, ResumeRule.NextLowerLevel, LenMcl),
        Row("len-mcl-anc-7d", L, Indication.MantleCellLymphoma, CountKind.Anc, 1000, 1000, ResumeRule.NextLowerLevel, LenMcl, days: 7),
        Row("len-mcl-fn", L, Indication.MantleCellLymphoma, CountKind.FebrileNeutropenia, 1000, 1000, ResumeRule.NextLowerLevel, LenMcl, fever: 38.5m),

        // REVLIMID FL/MZL.
        Row("len-fl-plt", L, Indication.FollicularOrMarginalZoneLymphoma, CountKind.Platelets, 50000, 50000, ResumeRule.NextLowerLevel, LenFl),
        Row("len-fl-anc-low", L, Indication.FollicularOrMarginalZoneLymphoma, CountKind.Anc, 500, 1000, ResumeRule.NextLowerLevel, LenFl),
        Row("len-fl-anc-7d", L, Indication.FollicularOrMarginalZoneLymphoma, CountKind.Anc, 1000, 1000, ResumeRule.NextLowerLevel, LenFl, days: 7),
        Row("len-fl-fn", L, Indication.FollicularOrMarginalZoneLymphoma, CountKind.FebrileNeutropenia, 1000, 1000, ResumeRule.NextLowerLevel, LenFl, fever: 38.5m),

        // REVLIMID MDS, "after 4 weeks at 10 mg" and "at 5 mg" rows only; the baseline-dependent first-4-weeks rows are not encoded.
        Row("len-mds-plt", L, Indication.MyelodysplasticSyndromes, CountKind.Platelets, 30000, 30000, ResumeRule.NextLowerLevel, LenMds),
        Row("len-mds-anc-7d", L, Indication.MyelodysplasticSyndromes, CountKind.Anc, 500, 500, ResumeRule.NextLowerLevel, LenMds, days: 7),
        Row("len-mds-fn", L, Indication.MyelodysplasticSyndromes, CountKind.FebrileNeutropenia, 500, 500, ResumeRule.NextLowerLevel, LenMds, fever: 38.5m),
    ];

    public static readonly ImmutableArray<CycleStartCriterion> CycleStart =
    [
        new("pom-mm-start", P, Mm, 500, 50000, false,
            Sources.Verified("POMALYST PI §2.2 'initiate a new cycle ... at least 500 per mcL ... 50,000 per mcL' (addendum A)", "L-V")),
        new("pom-ks-start", P, Ks, 1000, 75000, false,
            Sources.Verified("POMALYST PI §2.3 KS new cycle (drugs.com Jan 2024; addendum A CONFIRMED)", "L-S")),

        // Label says "ANC >= 1000 and/or platelets >= 75,000"; read conservatively as both.
        new("len-maint-start", L, Indication.MultipleMyelomaMaintenance, 1000, 75000, true,
            Sources.Unverified("REVLIMID PI §2.2 maintenance start 'and/or' read as both (addendum C)", "L-OLD")),
        new("thal-start", Drug.Thalidomide, Mm, 750, null, true,
            Sources.Unverified("THALOMID PI 'do not initiate with ANC < 750' (addendum D: STILL UNCONFIRMED)", "K")),
        new("thal-enl-start", Drug.Thalidomide, Indication.ErythemaNodosumLeprosum, 750, null, true,
            Sources.Unverified("THALOMID PI 'do not initiate with ANC < 750' (addendum D: STILL UNCONFIRMED)", "K")),
    ];

    public static HematologicRule Get(string id) =>
        All.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown hematologic rule '{id}'.", nameof(id));
}
