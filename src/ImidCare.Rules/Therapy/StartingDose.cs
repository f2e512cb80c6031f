using System.Collections.Immutable;
using System.Globalization;

namespace ImidCare.Rules.Therapy;

public enum Sex
{
    Female,
    Male,
}

public enum ChildPugh
{
    A,
    B,
    C,
}

/// <summary>Inputs for Cockcroft-Gault (age years, weight kg, serum creatinine mg/dL, sex) and dialysis status.</summary>
public sealed record RenalInput(int AgeYears, decimal WeightKg, decimal SerumCreatinineMgDl, Sex Sex, bool OnHemodialysis = false);

public static class CockcroftGault
{
    /// <summary>The female factor of the Cockcroft-Gault equation.</summary>
    public const decimal FemaleFactor = 0.85m;

    /// <summary>CLcr (mL/min) = (140 - age) x weight / (72 x SCr), x 0.85 if female.</summary>
    public static decimal ClearanceMlMin(RenalInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.AgeYears is < 18 or > 120)
        {
            throw new ArgumentException("AgeYears must be 18-120 for Cockcroft-Gault.", nameof(input));
        }

        if (input.WeightKg is <= 20m or > 400m)
        {
            throw new ArgumentException("WeightKg must be in kilograms (20-400).", nameof(input));
        }

        if (input.SerumCreatinineMgDl is <= 0.1m or > 30m)
        {
            throw new ArgumentException("SerumCreatinineMgDl must be in mg/dL (0.1-30); convert from umol/L by dividing by 88.4.", nameof(input));
        }

        var c = (140 - input.AgeYears) * input.WeightKg / (72m * input.SerumCreatinineMgDl);
        return input.Sex == Sex.Female ? c * FemaleFactor : c;
    }
}

/// <summary>Renal row: applies when CLcr is in [ClcrAtLeast, ClcrBelow) and dialysis status matches (null = either).</summary>
public sealed record RenalDoseRule(string Id, Drug Drug, ImmutableArray<Indication> Indications, decimal? ClcrAtLeast, decimal? ClcrBelow, bool? Dialysis,
    decimal DoseMg, int EveryHours, RuleSource Source);

public sealed record HepaticDoseRule(string Id, Drug Drug, Indication Indication, ChildPugh Class, decimal DoseMg, RuleSource Source);

public sealed record StartingDoseInput(string RegimenId, RenalInput? Renal = null, ChildPugh? Hepatic = null, bool StrongCyp1a2Inhibitor = false);

public sealed record StartingDoseResult(decimal DoseMg, int EveryHours, bool TakeAfterDialysis, decimal? ClcrMlMin, Decision Decision)
{
    public bool UsesUnverifiedRules => Decision.UsesUnverifiedRules;
}

/// <summary>Organ-function and CYP1A2 starting doses (clinical-rules §1.8, §2.5; addendum B, C). The lowest applicable dose wins.</summary>
public static class StartingDoses
{
    private static readonly RuleSource PomRenal = Sources.Verified("POMALYST PI §2.6 renal, not on dialysis: no adjustment (pomalysthcp.com)", "L-V");
    private static readonly RuleSource PomDialysis = Sources.Verified("POMALYST PI §2.6 dialysis MM 3 mg / KS 4 mg (drugs.com Jan 2024; addendum B CONFIRMED)", "L-S");
    private static readonly RuleSource PomKsRenal = Sources.Unverified("POMALYST PI KS renal not on dialysis (clinical-rules §9 item 4)", "K");
    private static readonly RuleSource PomHepatic = Sources.Verified("POMALYST PI §2.7 hepatic (mdtodate/epocrates; addendum B CONFIRMED)", "L-S");
    private static readonly RuleSource LenRenalMm = Sources.Unverified("REVLIMID PI §2.6 renal MM/MCL, older label values (addendum C: PARTIAL)", "L-OLD");
    private static readonly RuleSource LenRenalOther = Sources.Unverified("REVLIMID PI §2.6 renal maintenance/MDS/FL/MZL (addendum C: STILL UNCONFIRMED)", "K");

    public static readonly RuleSource Cyp1a2 = Sources.Verified("POMALYST PI §2.5/§7: strong CYP1A2 inhibitor unavoidable -> 2 mg (pomalysthcp.com; addendum B)", "L-V");
    private static readonly RuleSource LenHepatic = Sources.Verified("REVLIMID PI: no specific hepatic dose recommendations (drugs.com; clinical-rules §2.5)", "L-S");

    // clinical-rules.md has no hepatic row for THALOMID (§3); the REVLIMID statement is not its source.
    private static readonly RuleSource NoHepaticTable = Sources.Unverified("clinical-rules.md has no hepatic table for this drug/indication", "K");

    public static readonly RuleSource LenNotStudied = Sources.Unverified("REVLIMID PI: not studied in non-dialysis CLcr < 11 or dialysis CLcr < 7 mL/min", "L-OLD");
    public const decimal Cyp1a2DoseMg = 2m;

    private static readonly ImmutableArray<Indication> MmMcl = [Indication.MultipleMyeloma, Indication.MantleCellLymphoma];

    public static readonly ImmutableArray<RenalDoseRule> Renal =
    [
        new("pom-mm-renal", Drug.Pomalidomide, [Indication.MultipleMyeloma], null, null, false, 4m, 24, PomRenal),
        new("pom-mm-dialysis", Drug.Pomalidomide, [Indication.MultipleMyeloma], null, null, true, 3m, 24, PomDialysis),
        new("pom-ks-renal", Drug.Pomalidomide, [Indication.KaposiSarcoma], null, null, false, 5m, 24, PomKsRenal),
        new("pom-ks-dialysis", Drug.Pomalidomide, [Indication.KaposiSarcoma], null, null, true, 4m, 24, PomDialysis),

        // US bands are 30-60 (EU uses 30-50): do not mix (clinical-rules §0.3 trap 6).
        new("len-mm-clcr60", Drug.Lenalidomide, MmMcl, 60m, null, false, 25m, 24, LenRenalMm),
        new("len-mm-clcr30-60", Drug.Lenalidomide, MmMcl, 30m, 60m, false, 10m, 24, LenRenalMm),
        new("len-mm-clcr-lt30", Drug.Lenalidomide, MmMcl, null, 30m, false, 15m, 48, LenRenalMm),
        new("len-mm-dialysis", Drug.Lenalidomide, MmMcl, null, null, true, 5m, 24, LenRenalMm),

        new("len-maint-clcr60", Drug.Lenalidomide, [Indication.MultipleMyelomaMaintenance], 60m, null, false, 10m, 24, LenRenalOther),
        new("len-maint-clcr30-60", Drug.Lenalidomide, [Indication.MultipleMyelomaMaintenance], 30m, 60m, false, 5m, 24, LenRenalOther),
        new("len-maint-clcr-lt30", Drug.Lenalidomide, [Indication.MultipleMyelomaMaintenance], null, 30m, false, 2.5m, 24, LenRenalOther),
        new("len-maint-dialysis", Drug.Lenalidomide, [Indication.MultipleMyelomaMaintenance], null, null, true, 2.5m, 24, LenRenalOther),

        new("len-mds-clcr60", Drug.Lenalidomide, [Indication.MyelodysplasticSyndromes], 60m, null, false, 10m, 24, LenRenalOther),
        new("len-mds-clcr30-60", Drug.Lenalidomide, [Indication.MyelodysplasticSyndromes], 30m, 60m, false, 5m, 24, LenRenalOther),
        new("len-mds-clcr-lt30", Drug.Lenalidomide, [Indication.MyelodysplasticSyndromes], null, 30m, false, 2.5m, 24, LenRenalOther),
        new("len-mds-dialysis", Drug.Lenalidomide, [Indication.MyelodysplasticSyndromes], null, null, true, 2.5m, 24, LenRenalOther),

        new("len-fl-clcr60", Drug.Lenalidomide, [Indication.FollicularOrMarginalZoneLymphoma], 60m, null, false, 20m, 24, LenRenalOther),
        new("len-fl-clcr30-60", Drug.Lenalidomide, [Indication.FollicularOrMarginalZoneLymphoma], 30m, 60m, false, 10m, 24, LenRenalOther),
        new("len-fl-clcr-lt30", Drug.Lenalidomide, [Indication.FollicularOrMarginalZoneLymphoma], null, 30m, false, 5m, 24, LenRenalOther),
        new("len-fl-dialysis", Drug.Lenalidomide, [Indication.FollicularOrMarginalZoneLymphoma], null, null, true, 5m, 24, LenRenalOther),
    ];

    public static readonly ImmutableArray<HepaticDoseRule> Hepatic =
    [
        new("pom-mm-cp-a", Drug.Pomalidomide, Indication.MultipleMyeloma, ChildPugh.A, 3m, PomHepatic),
        new("pom-mm-cp-b", Drug.Pomalidomide, Indication.MultipleMyeloma, ChildPugh.B, 3m, PomHepatic),
        new("pom-mm-cp-c", Drug.Pomalidomide, Indication.MultipleMyeloma, ChildPugh.C, 2m, PomHepatic),
        new("pom-ks-cp-a", Drug.Pomalidomide, Indication.KaposiSarcoma, ChildPugh.A, 3m, PomHepatic),
        new("pom-ks-cp-b", Drug.Pomalidomide, Indication.KaposiSarcoma, ChildPugh.B, 3m, PomHepatic),
        new("pom-ks-cp-c", Drug.Pomalidomide, Indication.KaposiSarcoma, ChildPugh.C, 3m, PomHepatic),
    ];

    public static bool Matches(RenalDoseRule rule, decimal clcr, bool dialysis)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Dialysis is { } d && d != dialysis)
        {
            return false;
        }

        return (rule.ClcrAtLeast is null || clcr >= rule.ClcrAtLeast) && (rule.ClcrBelow is null || clcr < rule.ClcrBelow);
    }

    public static StartingDoseResult Compute(StartingDoseInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var regimen = Regimens.Get(input.RegimenId);
        var dose = regimen.StartDoseMg;
        var every = 24;
        var afterDialysis = false;
        decimal? clcr = null;
        var reasons = new List<Reason> { regimen.AsReason() };

        if (input.Renal is { } renal)
        {
            // Bands are decided on the unrounded value ("30 to less than 60": 59.97 is below 60); the
            // rounded value is only what the answer shows.
            var exact = CockcroftGault.ClearanceMlMin(renal);
            clcr = decimal.Round(exact, 1);
            var row = Renal.FirstOrDefault(r => r.Drug == regimen.Drug && r.Indications.Contains(regimen.Indication) && Matches(r, exact, renal.OnHemodialysis));
            if (row is not null)
            {
                afterDialysis = renal.OnHemodialysis;
                if (row.DoseMg < dose || row.EveryHours != 24)
                {
                    dose = row.DoseMg;
                    every = row.EveryHours;
                }

                reasons.Add(new Reason("RENAL_" + row.Id.ToUpperInvariant().Replace('-', '_'), string.Create(CultureInfo.InvariantCulture,
                    $"CLcr {clcr} mL/min (Cockcroft-Gault){(renal.OnHemodialysis ? ", on hemodialysis" : string.Empty)}: {row.DoseMg} mg every {row.EveryHours} h{(renal.OnHemodialysis ? ", after dialysis on dialysis days" : string.Empty)}."), row.Source));
            }
            else
            {
                reasons.Add(new Reason("RENAL_NO_RULE", $"No renal dose rule in the source documents for {regimen.Drug} / {regimen.Indication}.",
                    Sources.Unverified("clinical-rules.md has no renal table for this drug/indication", "K")));
            }

            if (regimen.Drug == Drug.Lenalidomide && ((renal.OnHemodialysis && exact < 7m) || (!renal.OnHemodialysis && exact < 11m)))
            {
                reasons.Add(new Reason("RENAL_NOT_STUDIED", "Lenalidomide was not studied at this level of renal function.", LenNotStudied));
            }
        }

        if (input.Hepatic is { } cp)
        {
            var row = Hepatic.FirstOrDefault(r => r.Drug == regimen.Drug && r.Indication == regimen.Indication && r.Class == cp);
            if (row is not null)
            {
                dose = Math.Min(dose, row.DoseMg);
                reasons.Add(new Reason("HEPATIC_" + row.Id.ToUpperInvariant().Replace('-', '_'), $"Child-Pugh class {cp}: {row.DoseMg} mg daily.", row.Source));
            }
            else
            {
                reasons.Add(new Reason("HEPATIC_NO_RULE", $"No hepatic dose recommendation for {regimen.Drug} in the source documents.",
                    regimen.Drug == Drug.Lenalidomide ? LenHepatic : NoHepaticTable));
            }
        }

        if (input.StrongCyp1a2Inhibitor && regimen.Drug == Drug.Pomalidomide)
        {
            dose = Math.Min(dose, Cyp1a2DoseMg);
            reasons.Add(new Reason("CYP1A2_2MG", "Avoid strong CYP1A2 inhibitors; if unavoidable, reduce pomalidomide to 2 mg.", Cyp1a2));
        }

        return new StartingDoseResult(dose, every, afterDialysis, clcr, Decision.Allow([.. reasons]));
    }
}
