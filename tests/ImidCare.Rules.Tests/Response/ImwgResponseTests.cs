using ImidCare.Rules.Response;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Response;

public class ImwgResponseTests
{
    private static readonly LocalDate B = new(2026, 1, 1);

    private static MyelomaAssessment Base(decimal serum = 4m, decimal? urine = null) =>
        new(B, SerumMProteinGdL: serum, UrineMProteinMgPer24h: urine, HemoglobinGdL: 11m, CreatinineMgDl: 1m);

    private static MyelomaAssessment At(int month, decimal? serum, decimal? urine = null) =>
        new(B.PlusMonths(month), SerumMProteinGdL: serum, UrineMProteinMgPer24h: urine);

    [Theory]
    [InlineData(0.99, null, MeasurableBy.None)]
    [InlineData(1.0, null, MeasurableBy.Serum)]
    [InlineData(0.5, 199.0, MeasurableBy.None)]
    [InlineData(0.5, 200.0, MeasurableBy.Urine)]
    [InlineData(1.0, 200.0, MeasurableBy.SerumAndUrine)]
    public void Measurability_Edges(double serum, double? urine, MeasurableBy expected) =>
        ImwgResponse.Measurability(new MyelomaAssessment(B, (decimal)serum, (decimal?)urine)).ShouldBe(expected);

    [Theory]
    [InlineData(9.9, 0.1, MeasurableBy.None)]
    [InlineData(10.0, 0.1, MeasurableBy.FreeLightChains)]
    [InlineData(10.0, 0.26, MeasurableBy.None)]
    [InlineData(10.0, 1.65, MeasurableBy.None)]
    [InlineData(10.0, 1.66, MeasurableBy.FreeLightChains)]
    public void FlcMeasurability_Edges(double involved, double ratio, MeasurableBy expected) =>
        ImwgResponse.Measurability(new MyelomaAssessment(B, 0.2m, 50m, (decimal)involved, 1m, (decimal)ratio)).ShouldBe(expected);

    [Fact]
    public void NotMeasurable_IsDeniedWithReason()
    {
        var r = ImwgResponse.Evaluate(new MyelomaAssessment(B, 0.5m), [At(1, 0.2m)]);
        r.MeasurableBy.ShouldBe(MeasurableBy.None);
        r.Decision.Outcome.ShouldBe(Outcome.Denied);
        r.Decision.Reasons.Single().Code.ShouldBe("IMWG_NOT_MEASURABLE");
    }

    [Theory]
    [InlineData(0.4, ResponseCategory.VeryGoodPartialResponse)]   // 90% reduction
    [InlineData(0.41, ResponseCategory.PartialResponse)]
    [InlineData(2.0, ResponseCategory.PartialResponse)]           // 50%
    [InlineData(2.01, ResponseCategory.MinimalResponse)]
    [InlineData(3.0, ResponseCategory.MinimalResponse)]           // 25%
    [InlineData(3.01, ResponseCategory.StableDisease)]
    public void SerumOnly_ReductionThresholds(double serum, ResponseCategory expected)
    {
        var r = ImwgResponse.Evaluate(Base(), [At(1, (decimal)serum)]);
        r.Assessments[0].Raw.ShouldBe(expected);
        r.Assessments[0].Confirmed.ShouldBeNull();
    }

    [Theory]
    [InlineData(99.0, ResponseCategory.VeryGoodPartialResponse)]
    [InlineData(100.0, ResponseCategory.PartialResponse)]
    [InlineData(199.0, ResponseCategory.PartialResponse)]
    public void SerumAndUrine_VgprNeedsUrineBelow100_PrNeedsUrineBelow200OrMinus90(double urine, ResponseCategory expected)
    {
        var r = ImwgResponse.Evaluate(Base(4m, 1000m), [At(1, 0.3m, (decimal)urine)]);
        r.Assessments[0].Raw.ShouldBe(expected);
    }

    [Fact]
    public void Pr_WithUrineNotReducedEnough_IsNotPr()
    {
        // serum -50%, urine 1000 -> 400: -60% and >= 200 -> MR (urine 50-89%)
        ImwgResponse.Evaluate(Base(4m, 1000m), [At(1, 2m, 400m)]).Assessments[0].Raw.ShouldBe(ResponseCategory.MinimalResponse);
    }

    [Fact]
    public void CompleteAndStringentComplete()
    {
        var cr = new MyelomaAssessment(B.PlusMonths(2), 0m, 0m, SerumImmunofixationNegative: true, UrineImmunofixationNegative: true, MarrowPlasmaCellPct: 4.9m);
        var scr = cr with { Date = B.PlusMonths(3), KappaLambdaRatio = 1.0m, ClonalPlasmaCellsAbsentByIhc = true };
        var r = ImwgResponse.Evaluate(Base(), [cr, scr]);
        r.Assessments[0].Raw.ShouldBe(ResponseCategory.CompleteResponse);
        r.Assessments[1].Raw.ShouldBe(ResponseCategory.StringentCompleteResponse);
        r.Assessments[1].Confirmed.ShouldBe(ResponseCategory.CompleteResponse);
        r.BestConfirmedResponse.ShouldBe(ResponseCategory.CompleteResponse);

        var five = cr with { MarrowPlasmaCellPct = 5m };
        ImwgResponse.Evaluate(Base(), [five]).Assessments[0].Raw.ShouldBe(ResponseCategory.VeryGoodPartialResponse);
    }

    [Fact]
    public void Confirmation_TakesTheWorseOfTwoConsecutive()
    {
        var r = ImwgResponse.Evaluate(Base(), [At(1, 1.5m), At(2, 0.3m), At(3, 0.3m)]);
        r.Assessments.Select(a => a.Confirmed).ShouldBe([null, ResponseCategory.PartialResponse, ResponseCategory.VeryGoodPartialResponse]);
        r.BestConfirmedResponse.ShouldBe(ResponseCategory.VeryGoodPartialResponse);
        r.Decision.Reasons.ShouldContain(x => x.Code == "IMWG_CONFIRMATION");
    }

    [Theory]
    [InlineData(1.49, false)]  // nadir 1.0: +0.49 < 0.5 g/dL absolute
    [InlineData(1.5, true)]    // +0.5 and +50%
    public void Progression_FromNadir_AbsoluteEdge(double value, bool pd)
    {
        var r = ImwgResponse.Evaluate(Base(), [At(1, 1.0m), At(2, (decimal)value)]);
        (r.Assessments[1].Raw == ResponseCategory.ProgressiveDisease).ShouldBe(pd);
        r.Assessments[1].SerumNadir.ShouldBe(1.0m);
    }

    [Theory]
    [InlineData(2.49, false)]  // nadir 2.0: +0.49
    [InlineData(2.5, true)]    // +0.5 = 25%
    public void Progression_25PercentAndAbsolute(double value, bool pd) =>
        (ImwgResponse.Evaluate(Base(), [At(1, 2.0m), At(2, (decimal)value)]).Assessments[1].Raw == ResponseCategory.ProgressiveDisease).ShouldBe(pd);

    [Theory]
    [InlineData(6.49, false)]  // nadir 5.5 (>= 5): needs +1 g/dL and +25% (1.375)
    [InlineData(6.875, true)]
    public void Progression_HighNadirNeedsOneGram(double value, bool pd)
    {
        var baseline = Base(8m);
        (ImwgResponse.Evaluate(baseline, [At(1, 5.5m), At(2, (decimal)value)]).Assessments[1].Raw == ResponseCategory.ProgressiveDisease).ShouldBe(pd);
    }

    [Fact]
    public void HighNadir_OneGramRuleApplies_At5()
    {
        var baseline = Base(8m);
        // nadir 5.0 -> +1.25 (25%) needed; +1.24 is not PD even though it exceeds 1 g/dL.
        ImwgResponse.Evaluate(baseline, [At(1, 5.0m), At(2, 6.24m)]).Assessments[1].Raw.ShouldNotBe(ResponseCategory.ProgressiveDisease);
        ImwgResponse.Evaluate(baseline, [At(1, 5.0m), At(2, 6.25m)]).Assessments[1].Raw.ShouldBe(ResponseCategory.ProgressiveDisease);
    }

    [Theory]
    [InlineData(399.0, false)]
    [InlineData(400.0, true)]
    public void Progression_Urine200mgAbsolute(double urine, bool pd) =>
        (ImwgResponse.Evaluate(Base(0.5m, 1000m), [At(1, 0.5m, 200m), At(2, 0.5m, (decimal)urine)]).Assessments[1].Raw == ResponseCategory.ProgressiveDisease).ShouldBe(pd);

    [Fact]
    public void Progression_NeedsTwoConsecutive_AndSpuriousValuesAreIgnoredForNadir()
    {
        var r = ImwgResponse.Evaluate(Base(), [At(1, 1.0m), At(2, 2.0m), At(3, 1.0m), At(4, 2.0m), At(5, 2.1m)]);
        r.Assessments[1].Raw.ShouldBe(ResponseCategory.ProgressiveDisease);
        r.Assessments[1].Confirmed.ShouldNotBe(ResponseCategory.ProgressiveDisease);
        r.ProgressionConfirmedOn.ShouldBe(B.PlusMonths(5));

        var spurious = ImwgResponse.Evaluate(Base(), [At(1, 2.0m), new MyelomaAssessment(B.PlusMonths(2), 0.1m, Spurious: true), At(3, 2.2m)]);
        spurious.Assessments[2].SerumNadir.ShouldBe(2.0m);
        spurious.Assessments[2].Raw.ShouldNotBe(ResponseCategory.ProgressiveDisease);
        spurious.Decision.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void FlcOnlyDisease_UsesDflc_AndFlcProgressionNeedsMoreThan10()
    {
        var baseline = new MyelomaAssessment(B, 0.2m, 50m, 50m, 1m, 50m);
        var r = ImwgResponse.Evaluate(baseline, [
            new MyelomaAssessment(B.PlusMonths(1), InvolvedFlcMgDl: 25m, UninvolvedFlcMgDl: 1m),    // dFLC 24: 51% drop
            new MyelomaAssessment(B.PlusMonths(2), InvolvedFlcMgDl: 5.8m, UninvolvedFlcMgDl: 1m),   // dFLC 4.8: > 90% drop
            new MyelomaAssessment(B.PlusMonths(3), InvolvedFlcMgDl: 15.8m, UninvolvedFlcMgDl: 1m),  // +10.0 from nadir 4.8: not > 10
            new MyelomaAssessment(B.PlusMonths(4), InvolvedFlcMgDl: 15.81m, UninvolvedFlcMgDl: 1m), // +10.01
        ]);
        r.MeasurableBy.ShouldBe(MeasurableBy.FreeLightChains);
        r.Assessments[0].Raw.ShouldBe(ResponseCategory.PartialResponse);
        r.Assessments[1].Raw.ShouldBe(ResponseCategory.VeryGoodPartialResponse);
        r.Assessments[2].Raw.ShouldNotBe(ResponseCategory.ProgressiveDisease);
        r.Assessments[3].Raw.ShouldBe(ResponseCategory.ProgressiveDisease);
        r.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void RelapseFromCr_AndClinicalRelapse_NeedTwoConsecutive()
    {
        var cr = new MyelomaAssessment(B.PlusMonths(1), 0m, 0m, SerumImmunofixationNegative: true, UrineImmunofixationNegative: true, MarrowPlasmaCellPct: 1m);
        var ifePos = new MyelomaAssessment(B.PlusMonths(3), 0m, 0m, SerumImmunofixationNegative: false, UrineImmunofixationNegative: true);
        var r = ImwgResponse.Evaluate(Base(), [cr, cr with { Date = B.PlusMonths(2) }, ifePos, ifePos with { Date = B.PlusMonths(4) }]);
        r.BestConfirmedResponse.ShouldBe(ResponseCategory.CompleteResponse);
        r.RelapseFromCompleteResponseOn.ShouldBe(B.PlusMonths(4));
        r.ProgressionConfirmedOn.ShouldBeNull();

        var hyperCa = At(1, 3m) with { CalciumMgDl = 11.1m };
        var clin = ImwgResponse.Evaluate(Base(), [hyperCa, hyperCa with { Date = B.PlusMonths(2), CalciumMgDl = 11.0m }, hyperCa with { Date = B.PlusMonths(3) }, hyperCa with { Date = B.PlusMonths(4), HemoglobinGdL = 9m }]);
        clin.ClinicalRelapseOn.ShouldBe(B.PlusMonths(4));
    }

    [Theory]
    [InlineData("electrophoresis")]
    [InlineData("calcium")]
    public void RelapseFromCr_AlsoByElectrophoresisReappearance_OrHypercalcaemia_CitedAsUnverified(string sign)
    {
        // clinical-rules §6.4: reappearance of M-protein "by immunofixation or electrophoresis"; "any other sign of progression (... hypercalcaemia)".
        var cr = new MyelomaAssessment(B.PlusMonths(1), 0m, 0m, SerumImmunofixationNegative: true, UrineImmunofixationNegative: true, MarrowPlasmaCellPct: 1m);
        var after = sign == "electrophoresis"
            ? new MyelomaAssessment(B.PlusMonths(3), SerumMProteinGdL: 0.2m)
            : new MyelomaAssessment(B.PlusMonths(3), SerumMProteinGdL: 0m, CalciumMgDl: 11.5m);
        var r = ImwgResponse.Evaluate(Base(), [cr, cr with { Date = B.PlusMonths(2) }, after, after with { Date = B.PlusMonths(4) }]);
        r.BestConfirmedResponse.ShouldBe(ResponseCategory.CompleteResponse);
        r.RelapseFromCompleteResponseOn.ShouldBe(B.PlusMonths(4));
        r.Decision.Reasons.ShouldContain(x => x.Code == "IMWG_RELAPSE_FROM_CR" && x.Unverified);

        // One assessment is not enough, and none of this before a confirmed CR.
        ImwgResponse.Evaluate(Base(), [cr, cr with { Date = B.PlusMonths(2) }, after]).RelapseFromCompleteResponseOn.ShouldBeNull();
    }

    [Fact]
    public void AntibodyInterference_IsFlagged() =>
        ImwgResponse.Evaluate(Base(), [At(1, 0.3m)], onInterferingAntibody: true).Decision.Reasons.ShouldContain(r => r.Code == "IMWG_ANTIBODY_INTERFERENCE");

    [Fact]
    public void BadInput_IsArgumentException()
    {
        Should.Throw<ArgumentException>(() => ImwgResponse.Evaluate(Base(), [At(0, 1m)]));
        Should.Throw<ArgumentException>(() => ImwgResponse.Evaluate(Base(), [At(1, -1m)]));
        Should.Throw<ArgumentException>(() => ImwgResponse.Evaluate(Base(), [At(1, 40m)]));
        Should.Throw<ArgumentException>(() => ImwgResponse.Evaluate(Base(), [At(1, 1m), At(1, 2m)]));
    }

    public static IEnumerable<object[]> CriterionIds => ImwgCriteria.All.Select(c => new object[] { c.Id });

    [Theory]
    [MemberData(nameof(CriterionIds))]
    public void EveryCriterion_HasASource_AndKIsUnverified(string id)
    {
        var c = ImwgCriteria.All.Single(x => x.Id == id);
        c.Value.ShouldBeGreaterThan(0);
        if (c.Source.Evidence == "K")
        {
            c.Source.Unverified.ShouldBeTrue();
        }
    }
}
