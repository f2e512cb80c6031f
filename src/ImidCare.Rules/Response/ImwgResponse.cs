using System.Collections.Immutable;
using static ImidCare.Rules.Response.ImwgCriteria;

namespace ImidCare.Rules.Response;

/// <summary>
/// IMWG 2016 response from serial assessments. Each assessment gets a raw category (hierarchy
/// PD, sCR, CR, VGPR, PR, MR, SD); a category is confirmed when two consecutive non-spurious
/// assessments both meet it (PD needs two consecutive PDs).
/// </summary>
public static class ImwgResponse
{
    public static ResponseEvaluation Evaluate(MyelomaAssessment baseline, IEnumerable<MyelomaAssessment> assessments, bool onInterferingAntibody = false)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(assessments);
        var series = assessments.OrderBy(a => a.Date).ToList();
        Validate(baseline, series);

        var by = Measurability(baseline);
        if (by == MeasurableBy.None)
        {
            return new ResponseEvaluation(by, [], null, null, null, null, Decision.Deny(new Reason("IMWG_NOT_MEASURABLE",
                $"No measurable disease at baseline (serum M-protein >= {SerumMeasurableGdL.Value} g/dL, urine >= {UrineMeasurableMg.Value} mg/24 h, or involved FLC >= {FlcMeasurableMgDl.Value} mg/dL with abnormal ratio): M-protein response cannot be assessed.",
                SerumMeasurableGdL.Source)));
        }

        var results = ImmutableArray.CreateBuilder<AssessmentResult>();
        var serumNadir = baseline.SerumMProteinGdL;
        var urineNadir = baseline.UrineMProteinMgPer24h;
        var flcNadir = baseline.DifferenceFlc;
        ResponseCategory? prevRaw = null;
        ResponseCategory? best = null;
        LocalDateHolder progression = default, relapseCr = default, clinical = default;
        bool prevRelapseSign = false, prevClinicalSign = false, crReached = false;

        foreach (var a in series)
        {
            var notes = ImmutableArray.CreateBuilder<string>();
            var raw = Classify(baseline, a, by, serumNadir, urineNadir, flcNadir, notes);
            ResponseCategory? confirmed = null;
            if (!a.Spurious && prevRaw is { } p)
            {
                confirmed = raw == ResponseCategory.ProgressiveDisease && p == ResponseCategory.ProgressiveDisease
                    ? ResponseCategory.ProgressiveDisease
                    : (ResponseCategory)Math.Max((int)AsResponse(raw), (int)AsResponse(p));
            }

            if (confirmed == ResponseCategory.ProgressiveDisease)
            {
                progression.Set(a.Date);
            }
            else if (confirmed is { } c && (best is null || c < best))
            {
                best = c;
            }

            // Reappearance of M-protein by immunofixation or electrophoresis, >= 5% marrow plasma cells, or another sign of
            // progression (new lesion, hypercalcaemia) (clinical-rules §6.4; the list is [K]).
            var relapseSign = crReached && !a.Spurious && (a.SerumImmunofixationNegative == false || a.UrineImmunofixationNegative == false
                || a.SerumMProteinGdL > 0m || a.UrineMProteinMgPer24h > 0m
                || a.MarrowPlasmaCellPct >= RelapseFromCrMarrowPct.Value || a.NewLesions || a.CalciumMgDl > ClinicalCalciumAboveMgDl.Value);
            if (relapseSign && prevRelapseSign)
            {
                relapseCr.Set(a.Date);
            }

            var clinicalSign = !a.Spurious && ClinicalSign(baseline, a);
            if (clinicalSign && prevClinicalSign)
            {
                clinical.Set(a.Date);
            }

            crReached |= confirmed is ResponseCategory.CompleteResponse or ResponseCategory.StringentCompleteResponse;
            results.Add(new AssessmentResult(a.Date, raw, confirmed, serumNadir, urineNadir, flcNadir, notes.ToImmutable()));

            if (!a.Spurious)
            {
                serumNadir = Min(serumNadir, a.SerumMProteinGdL);
                urineNadir = Min(urineNadir, a.UrineMProteinMgPer24h);
                flcNadir = Min(flcNadir, a.DifferenceFlc);
                prevRaw = raw;
                prevRelapseSign = relapseSign;
                prevClinicalSign = clinicalSign;
            }
        }

        var reasons = new List<Reason>
        {
            new("IMWG_MEASURABLE", $"Measurable disease by {by}.", by == MeasurableBy.FreeLightChains ? FlcMeasurableMgDl.Source : SerumMeasurableGdL.Source),
            new("IMWG_CONFIRMATION", "Categories are confirmed by two consecutive assessments.", Confirmation),
            new("IMWG_NADIR", "Progression is measured from the lowest prior non-spurious value.", Nadir),
        };
        if (by == MeasurableBy.FreeLightChains)
        {
            reasons.Add(new Reason("IMWG_FLC_ONLY", "FLC-only disease: VGPR threshold is recalled, not confirmed.", VgprFlcReductionPct.Source));
        }

        if (relapseCr.Value is { } relapsedOn)
        {
            reasons.Add(new Reason("IMWG_RELAPSE_FROM_CR", $"Relapse from CR confirmed on {relapsedOn:yyyy-MM-dd} (M-protein back by immunofixation or electrophoresis, >= {RelapseFromCrMarrowPct.Value}% marrow plasma cells, a new lesion or calcium > {ClinicalCalciumAboveMgDl.Value} mg/dL, on two consecutive assessments).", RelapseFromCrSigns));
        }

        if (clinical.Value is { } clinicalOn)
        {
            reasons.Add(new Reason("IMWG_CLINICAL_RELAPSE", $"Clinical relapse confirmed on {clinicalOn:yyyy-MM-dd} (two consecutive assessments).", ClinicalCalciumAboveMgDl.Source));
        }

        if (onInterferingAntibody)
        {
            reasons.Add(new Reason("IMWG_ANTIBODY_INTERFERENCE", "Daratumumab, isatuximab or elotuzumab can give a false-positive SPEP/IFE band and prevent a CR call.", AntibodyInterference));
        }

        return new ResponseEvaluation(by, results.ToImmutable(), best, progression.Value, relapseCr.Value, clinical.Value, Decision.Allow([.. reasons]));
    }

    public static MeasurableBy Measurability(MyelomaAssessment baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var serum = baseline.SerumMProteinGdL >= SerumMeasurableGdL.Value;
        var urine = baseline.UrineMProteinMgPer24h >= UrineMeasurableMg.Value;
        if (serum && urine)
        {
            return MeasurableBy.SerumAndUrine;
        }

        if (serum || urine)
        {
            return serum ? MeasurableBy.Serum : MeasurableBy.Urine;
        }

        return baseline.InvolvedFlcMgDl >= FlcMeasurableMgDl.Value && baseline.KappaLambdaRatio is { } r && !RatioNormal(r)
            ? MeasurableBy.FreeLightChains
            : MeasurableBy.None;
    }

    public static bool RatioNormal(decimal ratio) => ratio >= FlcRatioLow.Value && ratio <= FlcRatioHigh.Value;

    private static ResponseCategory Classify(MyelomaAssessment b, MyelomaAssessment a, MeasurableBy by, decimal? serumNadir, decimal? urineNadir, decimal? flcNadir,
        ImmutableArray<string>.Builder notes)
    {
        if (IsProgression(a, by, serumNadir, urineNadir, flcNadir, notes))
        {
            return ResponseCategory.ProgressiveDisease;
        }

        var serumMeasurable = by is MeasurableBy.Serum or MeasurableBy.SerumAndUrine;
        var urineMeasurable = by is MeasurableBy.Urine or MeasurableBy.SerumAndUrine;
        var flcOnly = by == MeasurableBy.FreeLightChains;

        var cr = a.SerumImmunofixationNegative == true && a.UrineImmunofixationNegative == true
                 && a.MarrowPlasmaCellPct < CrMarrowBelowPct.Value && !a.SoftTissuePlasmacytomas
                 && (!flcOnly || (a.KappaLambdaRatio is { } fr && RatioNormal(fr)));
        if (cr)
        {
            var scr = a.KappaLambdaRatio is { } r && RatioNormal(r) && a.ClonalPlasmaCellsAbsentByIhc == true;
            return scr ? ResponseCategory.StringentCompleteResponse : ResponseCategory.CompleteResponse;
        }

        if (flcOnly)
        {
            var drop = Reduction(b.DifferenceFlc, a.DifferenceFlc);
            return drop > VgprFlcReductionPct.Value ? ResponseCategory.VeryGoodPartialResponse
                : drop >= PrFlcReductionPct.Value ? ResponseCategory.PartialResponse
                : ResponseCategory.StableDisease;
        }

        var serumDrop = Reduction(b.SerumMProteinGdL, a.SerumMProteinGdL);
        var urineDrop = Reduction(b.UrineMProteinMgPer24h, a.UrineMProteinMgPer24h);
        var urine = a.UrineMProteinMgPer24h;

        // Urine criteria bind only when urine was measured at baseline; then a current value is required.
        bool UrineMeets(Func<decimal, decimal?, bool> test) => b.UrineMProteinMgPer24h is null || (urine is { } u && test(u, urineDrop));

        var vgpr = (!serumMeasurable || serumDrop >= VgprSerumReductionPct.Value) && UrineMeets((u, _) => u < VgprUrineBelowMg.Value);
        if (vgpr && (serumMeasurable || urineMeasurable))
        {
            return ResponseCategory.VeryGoodPartialResponse;
        }

        var pr = (!serumMeasurable || serumDrop >= PrSerumReductionPct.Value)
                 && (!urineMeasurable || UrineMeets((u, d) => d >= PrUrineReductionPct.Value || u < PrUrineBelowMg.Value));
        if (pr)
        {
            return ResponseCategory.PartialResponse;
        }

        var mr = (!serumMeasurable || serumDrop >= MrSerumReductionPct.Value)
                 && (!urineMeasurable || UrineMeets((_, d) => d >= MrUrineReductionPct.Value));
        if (mr)
        {
            notes.Add("MR applies to relapsed/refractory disease.");
            return ResponseCategory.MinimalResponse;
        }

        return ResponseCategory.StableDisease;
    }

    private static bool IsProgression(MyelomaAssessment a, MeasurableBy by, decimal? serumNadir, decimal? urineNadir, decimal? flcNadir, ImmutableArray<string>.Builder notes)
    {
        if (a.NewLesions)
        {
            notes.Add("New lesion(s).");
            return true;
        }

        var pd = false;
        if (a.SerumMProteinGdL is { } s && serumNadir is { } sn)
        {
            var abs = sn >= PdHighNadirGdL.Value ? PdSerumAbsHighNadirGdL.Value : PdSerumAbsGdL.Value;
            var inc = s - sn;
            if (inc >= abs && inc >= sn * PdIncreasePct.Value / 100m)
            {
                notes.Add($"Serum M-protein up {inc} g/dL from nadir {sn}.");
                pd = true;
            }
        }

        if (a.UrineMProteinMgPer24h is { } u && urineNadir is { } un)
        {
            var inc = u - un;
            if (inc >= PdUrineAbsMg.Value && inc >= un * PdIncreasePct.Value / 100m)
            {
                notes.Add($"Urine M-protein up {inc} mg/24 h from nadir {un}.");
                pd = true;
            }
        }

        // The FLC rule is only for patients without measurable serum and urine M-protein.
        if (by == MeasurableBy.FreeLightChains && a.DifferenceFlc is { } f && flcNadir is { } fn)
        {
            var inc = f - fn;
            if (inc > PdFlcAbsMgDl.Value && inc >= fn * PdIncreasePct.Value / 100m)
            {
                notes.Add($"dFLC up {inc} mg/dL from nadir {fn}.");
                pd = true;
            }
        }

        return pd;
    }

    private static bool ClinicalSign(MyelomaAssessment b, MyelomaAssessment a) =>
        a.NewLesions
        || a.CalciumMgDl > ClinicalCalciumAboveMgDl.Value
        || (b.HemoglobinGdL is { } hb0 && a.HemoglobinGdL is { } hb && hb0 - hb >= ClinicalHbDropGdL.Value)
        || (b.CreatinineMgDl is { } c0 && a.CreatinineMgDl is { } c && c - c0 >= ClinicalCreatinineRiseMgDl.Value);

    /// <summary>Percent reduction from baseline; null when either side is missing or baseline is zero.</summary>
    public static decimal? Reduction(decimal? baseline, decimal? current) =>
        baseline is { } b && b > 0 && current is { } c ? (b - c) / b * 100m : null;

    private static ResponseCategory AsResponse(ResponseCategory c) => c == ResponseCategory.ProgressiveDisease ? ResponseCategory.StableDisease : c;

    private static decimal? Min(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static void Validate(MyelomaAssessment baseline, List<MyelomaAssessment> series)
    {
        foreach (var a in series.Prepend(baseline))
        {
            if (a.SerumMProteinGdL is < 0 || a.UrineMProteinMgPer24h is < 0 || a.InvolvedFlcMgDl is < 0 || a.UninvolvedFlcMgDl is < 0 || a.KappaLambdaRatio is < 0)
            {
                throw new ArgumentException($"Assessment on {a.Date}: M-protein and FLC values cannot be negative.", nameof(series));
            }

            if (a.MarrowPlasmaCellPct is < 0 or > 100)
            {
                throw new ArgumentException($"Assessment on {a.Date}: MarrowPlasmaCellPct must be 0-100.", nameof(series));
            }

            if (a.SerumMProteinGdL > 20m)
            {
                throw new ArgumentException($"Assessment on {a.Date}: SerumMProteinGdL is in g/dL (values above 20 are implausible; g/L must be divided by 10).", nameof(series));
            }
        }

        if (series.Any(a => a.Date <= baseline.Date))
        {
            throw new ArgumentException("Every assessment must be dated after the baseline.", nameof(series));
        }

        if (series.GroupBy(a => a.Date).Any(g => g.Count() > 1))
        {
            throw new ArgumentException("Two assessments share a date; merge them into one.", nameof(series));
        }
    }

    /// <summary>Keeps the first date an event was reached.</summary>
    private struct LocalDateHolder
    {
        public NodaTime.LocalDate? Value { get; private set; }

        public void Set(NodaTime.LocalDate d) => Value ??= d;
    }
}
