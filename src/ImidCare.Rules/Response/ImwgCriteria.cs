using System.Collections.Immutable;
using ImidCare.Rules.Therapy;

namespace ImidCare.Rules.Response;

/// <summary>IMWG 2016 response categories, best first (the enum order is the ranking).</summary>
public enum ResponseCategory
{
    StringentCompleteResponse,
    CompleteResponse,
    VeryGoodPartialResponse,
    PartialResponse,
    MinimalResponse,
    StableDisease,
    ProgressiveDisease,
}

/// <summary>One numeric IMWG threshold with its source.</summary>
public sealed record ImwgCriterion(string Id, decimal Value, string Meaning, RuleSource Source);

/// <summary>IMWG thresholds as data (clinical-rules §6; Kumar 2016 Lancet Oncol 17:e328).</summary>
public static class ImwgCriteria
{
    private static readonly RuleSource Imwg = Sources.Verified("IMWG 2016 (Kumar, Lancet Oncol 2016;17:e328) via PMC9954856 / ash-sap (clinical-rules §6.2)", "T");
    private static readonly RuleSource ImwgK = Sources.Unverified("IMWG 2016 detail not confirmed in reproductions (clinical-rules §6, §9 item 16)", "K");
    private static readonly RuleSource Relapse = Sources.Verified("IMWG 2016 relapse definitions (droracle 468331; farydak; clinical-rules §6.4)", "T");

    public static readonly ImwgCriterion SerumMeasurableGdL = new("serum-measurable", 1.0m, "Serum M-protein >= 1 g/dL is measurable", ImwgK);
    public static readonly ImwgCriterion UrineMeasurableMg = new("urine-measurable", 200m, "Urine M-protein >= 200 mg/24 h is measurable", ImwgK);
    public static readonly ImwgCriterion FlcMeasurableMgDl = new("flc-measurable", 10m, "Involved FLC >= 10 mg/dL with abnormal ratio is measurable", Sources.Verified("IMWG via droracle 392724 (clinical-rules §6.1)", "L-S"));
    public static readonly ImwgCriterion FlcRatioLow = new("flc-ratio-low", 0.26m, "Normal kappa/lambda ratio lower bound", Sources.Verified("Freelite normal range (clinical-rules §6.1)", "L-S"));
    public static readonly ImwgCriterion FlcRatioHigh = new("flc-ratio-high", 1.65m, "Normal kappa/lambda ratio upper bound", Sources.Verified("Freelite normal range (clinical-rules §6.1)", "L-S"));

    public static readonly ImwgCriterion CrMarrowBelowPct = new("cr-bmpc", 5m, "CR needs < 5% marrow plasma cells", Imwg);
    public static readonly ImwgCriterion VgprSerumReductionPct = new("vgpr-serum", 90m, "VGPR: >= 90% serum M-protein reduction", Imwg);
    public static readonly ImwgCriterion VgprUrineBelowMg = new("vgpr-urine", 100m, "VGPR: urine M-protein < 100 mg/24 h", Imwg);
    public static readonly ImwgCriterion VgprFlcReductionPct = new("vgpr-flc", 90m, "VGPR (FLC-only): > 90% decrease in dFLC", ImwgK);
    public static readonly ImwgCriterion PrSerumReductionPct = new("pr-serum", 50m, "PR: >= 50% serum M-protein reduction", Imwg);
    public static readonly ImwgCriterion PrUrineReductionPct = new("pr-urine-pct", 90m, "PR: urine reduced >= 90% ...", Imwg);
    public static readonly ImwgCriterion PrUrineBelowMg = new("pr-urine-abs", 200m, "PR: ... or urine < 200 mg/24 h", Imwg);
    public static readonly ImwgCriterion PrFlcReductionPct = new("pr-flc", 50m, "PR (FLC-only): >= 50% decrease in dFLC", Imwg);
    public static readonly ImwgCriterion MrSerumReductionPct = new("mr-serum", 25m, "MR: 25-49% serum M-protein reduction", Imwg);
    public static readonly ImwgCriterion MrUrineReductionPct = new("mr-urine", 50m, "MR: 50-89% urine M-protein reduction", Imwg);

    public static readonly ImwgCriterion PdIncreasePct = new("pd-pct", 25m, "PD: >= 25% increase from nadir", Imwg);
    public static readonly ImwgCriterion PdSerumAbsGdL = new("pd-serum-abs", 0.5m, "PD: serum absolute increase >= 0.5 g/dL", Imwg);
    public static readonly ImwgCriterion PdSerumAbsHighNadirGdL = new("pd-serum-abs-high", 1.0m, "PD: serum increase >= 1 g/dL when nadir >= 5 g/dL", Imwg);
    public static readonly ImwgCriterion PdHighNadirGdL = new("pd-high-nadir", 5.0m, "Nadir at or above which the 1 g/dL rule applies", Imwg);
    public static readonly ImwgCriterion PdUrineAbsMg = new("pd-urine-abs", 200m, "PD: urine absolute increase >= 200 mg/24 h", Imwg);
    public static readonly ImwgCriterion PdFlcAbsMgDl = new("pd-flc-abs", 10m, "PD (FLC-only): dFLC absolute increase > 10 mg/dL", Imwg);

    public static readonly ImwgCriterion RelapseFromCrMarrowPct = new("relapse-cr-bmpc", 5m, "Relapse from CR: >= 5% marrow plasma cells", Relapse);
    public static readonly ImwgCriterion ClinicalCalciumAboveMgDl = new("clin-calcium", 11m, "Clinical relapse: calcium > 11 mg/dL", Relapse);
    public static readonly ImwgCriterion ClinicalHbDropGdL = new("clin-hb", 2m, "Clinical relapse: hemoglobin decrease >= 2 g/dL", Relapse);
    public static readonly ImwgCriterion ClinicalCreatinineRiseMgDl = new("clin-creat", 2m, "Clinical relapse: creatinine rise >= 2 mg/dL", Relapse);

    /// <summary>The signs of relapse from CR beyond the 5% marrow cut-off are listed from recall (clinical-rules §6.4 "list [K]").</summary>
    public static readonly RuleSource RelapseFromCrSigns = Sources.Unverified("IMWG 2016 relapse from CR, list of signs (clinical-rules §6.4)", "K");

    public static readonly RuleSource Confirmation = Sources.Verified("IMWG: two consecutive assessments before new therapy (global.farydak.com; clinical-rules §6.3)", "T");
    public static readonly RuleSource Nadir = Sources.Unverified("IMWG nadir = lowest confirmed value; engine uses lowest non-spurious prior value (clinical-rules §6.3)", "K");
    public static readonly RuleSource AntibodyInterference = Sources.Verified("SARCLISA / EMPLICITI / DARZALEX PI: antibody can interfere with SPEP/IFE (clinical-rules §6.3)", "L-V");

    public static readonly ImmutableArray<ImwgCriterion> All =
    [
        SerumMeasurableGdL, UrineMeasurableMg, FlcMeasurableMgDl, FlcRatioLow, FlcRatioHigh, CrMarrowBelowPct,
        VgprSerumReductionPct, VgprUrineBelowMg, VgprFlcReductionPct, PrSerumReductionPct, PrUrineReductionPct, PrUrineBelowMg,
        PrFlcReductionPct, MrSerumReductionPct, MrUrineReductionPct, PdIncreasePct, PdSerumAbsGdL, PdSerumAbsHighNadirGdL,
        PdHighNadirGdL, PdUrineAbsMg, PdFlcAbsMgDl, RelapseFromCrMarrowPct, ClinicalCalciumAboveMgDl, ClinicalHbDropGdL, ClinicalCreatinineRiseMgDl,
    ];
}
