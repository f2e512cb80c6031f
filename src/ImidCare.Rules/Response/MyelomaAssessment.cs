using System.Collections.Immutable;
using NodaTime;

namespace ImidCare.Rules.Response;

/// <summary>
/// One disease assessment. Serum M-protein g/dL, urine M-protein mg/24 h, FLC mg/dL, marrow
/// plasma cells %, calcium/creatinine mg/dL, hemoglobin g/dL. Null means "not measured".
/// Mark a value judged to be a lab error as <see cref="Spurious"/>: it is kept out of nadirs.
/// </summary>
public sealed record MyelomaAssessment(
    LocalDate Date,
    decimal? SerumMProteinGdL = null,
    decimal? UrineMProteinMgPer24h = null,
    decimal? InvolvedFlcMgDl = null,
    decimal? UninvolvedFlcMgDl = null,
    decimal? KappaLambdaRatio = null,
    bool? SerumImmunofixationNegative = null,
    bool? UrineImmunofixationNegative = null,
    decimal? MarrowPlasmaCellPct = null,
    bool? ClonalPlasmaCellsAbsentByIhc = null,
    bool SoftTissuePlasmacytomas = false,
    bool NewLesions = false,
    decimal? CalciumMgDl = null,
    decimal? HemoglobinGdL = null,
    decimal? CreatinineMgDl = null,
    bool Spurious = false)
{
    public decimal? DifferenceFlc => InvolvedFlcMgDl is { } i && UninvolvedFlcMgDl is { } u ? i - u : null;
}

public enum MeasurableBy
{
    None,
    Serum,
    Urine,
    SerumAndUrine,
    FreeLightChains,
}

public sealed record AssessmentResult(
    LocalDate Date,
    ResponseCategory Raw,
    ResponseCategory? Confirmed,
    decimal? SerumNadir,
    decimal? UrineNadir,
    decimal? DifferenceFlcNadir,
    ImmutableArray<string> Notes);

public sealed record ResponseEvaluation(
    MeasurableBy MeasurableBy,
    ImmutableArray<AssessmentResult> Assessments,
    ResponseCategory? BestConfirmedResponse,
    LocalDate? ProgressionConfirmedOn,
    LocalDate? RelapseFromCompleteResponseOn,
    LocalDate? ClinicalRelapseOn,
    Decision Decision)
{
    public bool UsesUnverifiedRules => Decision.UsesUnverifiedRules;
}
