using ImidCare.Rules.Therapy;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class HematologicRuleTests
{
    public static IEnumerable<object[]> RowIds => HematologicRules.All.Select(r => new object[] { r.Id });

    public static IEnumerable<object[]> StartIds => HematologicRules.CycleStart.Select(r => new object[] { r.Id });

    private static HematologicRule R(string id) => HematologicRules.Get(id);

    /// <summary>A check where only the row's trigger count is set (other count healthy) and every other condition of the row is met.</summary>
    private static CountCheck CheckFor(HematologicRule r, int value, decimal? temp = null)
    {
        var fever = r.FeverSingleC ?? r.FeverSustainedC;
        return new CountCheck(r.Drug, r.Indication, 4m,
            Anc: r.Trigger == CountKind.Platelets ? 5000 : value,
            Platelets: r.Trigger == CountKind.Platelets ? value : 300000,
            TemperatureC: temp ?? (r.Trigger == CountKind.FebrileNeutropenia ? fever : null),
            AncLowForDays: r.LowForDays ?? 0,
            IsCycleDay1: r.When == CheckPoint.CycleDay1);
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void Row_FiresJustBelowThreshold_NotAtIt(string id)
    {
        var r = R(id);
        DoseModification.Fires(r, CheckFor(r, r.Below - 1)).ShouldBeTrue();
        DoseModification.Fires(r, CheckFor(r, r.Below)).ShouldBeFalse();
    }

    // "ANC < 1,000 (MCL, FL/MZL) or < 500 (MDS) for at least 7 days": the 7th day low fires, the 6th does not.
    // The 7 is written here, not read from the row, so a row whose duration moved by a day fails.
    [Theory]
    [InlineData("len-mcl-anc-7d")]
    [InlineData("len-fl-anc-7d")]
    [InlineData("len-mds-anc-7d")]
    public void SevenDayAncRow_FiresOnDay7_NotOnDay6(string id)
    {
        var r = R(id);
        DoseModification.Fires(r, CheckFor(r, r.Below - 1) with { AncLowForDays = 7 }).ShouldBeTrue();
        DoseModification.Fires(r, CheckFor(r, r.Below - 1) with { AncLowForDays = 6 }).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void BandedRow_FiresAtLowerBound_NotBelowIt(string id)
    {
        var r = R(id);
        if (r.AtLeast is not { } lo)
        {
            return;
        }

        DoseModification.Fires(r, CheckFor(r, lo)).ShouldBeTrue();
        DoseModification.Fires(r, CheckFor(r, lo - 1)).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void FeverRow_FiresAtFeverThreshold_NotJustBelow(string id)
    {
        var r = R(id);
        if (r.Trigger != CountKind.FebrileNeutropenia)
        {
            return;
        }

        DoseModification.Fires(r, CheckFor(r, r.Below - 1, r.FeverSingleC)).ShouldBeTrue();
        DoseModification.Fires(r, CheckFor(r, r.Below - 1, r.FeverSingleC - 0.1m)).ShouldBeFalse();
        if (r.FeverSustainedC is { } sustained)
        {
            DoseModification.Fires(r, CheckFor(r, r.Below - 1, sustained) with { FeverSustainedOverOneHour = true }).ShouldBeTrue();
            DoseModification.Fires(r, CheckFor(r, r.Below - 1, sustained) with { FeverSustainedOverOneHour = false }).ShouldBeFalse();
        }
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void DaysRow_NeedsTheFullDuration(string id)
    {
        var r = R(id);
        if (r.LowForDays is not { } days)
        {
            return;
        }

        DoseModification.Fires(r, CheckFor(r, r.Below - 1) with { AncLowForDays = days }).ShouldBeTrue();
        DoseModification.Fires(r, CheckFor(r, r.Below - 1) with { AncLowForDays = days - 1 }).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void CheckPointRows_OnlyFireOnTheirDay(string id)
    {
        var r = R(id);
        var c = CheckFor(r, r.Below - 1);
        switch (r.When)
        {
            case CheckPoint.CycleDay1:
                DoseModification.Fires(r, c with { IsCycleDay1 = false }).ShouldBeFalse();
                break;
            case CheckPoint.DuringCycle:
                DoseModification.Fires(r, c with { IsCycleDay1 = true }).ShouldBeFalse();
                break;
            default:
                DoseModification.Fires(r, c with { IsCycleDay1 = !c.IsCycleDay1 }).ShouldBeTrue();
                break;
        }
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void HoldRow_Recovery_JustBelowKeepsHolding_AtThresholdResumes(string id)
    {
        var r = R(id);
        if (r.Action != HemAction.Hold)
        {
            return;
        }

        var dose = DoseLadders.For(r.Drug, r.Indication)?.Levels[0].Mg ?? 4m;
        CountCheck Rec(int v) => new(r.Drug, r.Indication, dose,
            Anc: r.RecoveryCount == CountKind.Anc ? v : 5000, Platelets: r.RecoveryCount == CountKind.Platelets ? v : 300000,
            HoldingFor: r.Id, PriorNeutropeniaHolds: 1);

        var still = DoseModification.EvaluateCounts(Rec(r.ResumeAtOrAbove - 1));
        still.Action.ShouldBe(DoseAction.Hold);
        still.HoldingFor.ShouldBe(r.Id);
        still.ResumeWhenAtLeast.ShouldBe(r.ResumeAtOrAbove);

        var back = DoseModification.EvaluateCounts(Rec(r.ResumeAtOrAbove));
        back.Action.ShouldBe(DoseAction.Resume);
        back.Decision.UsesUnverifiedRules.ShouldBe(back.Decision.Reasons.Any(x => x.Source.Unverified));
        if (r.Resume == ResumeRule.SameDose)
        {
            back.DoseMg.ShouldBe(dose);
        }
        else
        {
            back.DoseMg!.Value.ShouldBeLessThan(dose);
        }
    }

    [Theory]
    [MemberData(nameof(RowIds))]
    public void Row_UnverifiedFlag_MatchesEvidence(string id)
    {
        var r = R(id);
        if (r.Source.Evidence is "K" or "L-OLD")
        {
            r.Source.Unverified.ShouldBeTrue();
        }

        r.Source.Document.ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [MemberData(nameof(StartIds))]
    public void CycleStart_AtThresholdStarts_OneBelowDelays(string id)
    {
        var c = HematologicRules.CycleStart.Single(x => x.Id == id);
        var dose = DoseLadders.For(c.Drug, c.Indication)?.Levels[0].Mg ?? 200m;
        CountCheck Day1(int anc, int plt) => new(c.Drug, c.Indication, dose, anc, plt, IsCycleDay1: true, IsFirstCycle: true);
        var anc = c.AncAtLeast ?? 5000;
        var plt = c.PlateletsAtLeast ?? 300000;

        DoseModification.EvaluateCounts(Day1(anc, plt)).Action.ShouldBe(DoseAction.Continue);
        if (c.AncAtLeast is not null)
        {
            var d = DoseModification.EvaluateCounts(Day1(anc - 1, plt));
            d.Action.ShouldBe(DoseAction.Hold);
        }

        if (c.PlateletsAtLeast is not null)
        {
            DoseModification.EvaluateCounts(Day1(anc, plt - 1)).Action.ShouldBe(DoseAction.Hold);
        }
    }

    // ---- Scenarios straight from the label text ----

    [Fact]
    public void Pomalidomide_Mm_Anc400_Holds_ThenResumesAt1MgLess_Not3Mg()
    {
        var hold = DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 3m, 400, 150000));
        hold.Action.ShouldBe(DoseAction.Hold);
        hold.HoldingFor.ShouldBe("pom-mm-anc");

        var back = DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 3m, 500, 150000, HoldingFor: "pom-mm-anc"));
        back.Action.ShouldBe(DoseAction.Resume);
        back.DoseMg.ShouldBe(2m);
    }

    [Fact]
    public void Pomalidomide_At1Mg_NextDropDiscontinues()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 1m, 800, 150000, HoldingFor: "pom-mm-anc"));
        d.Action.ShouldBe(DoseAction.Discontinue);
        d.Decision.Outcome.ShouldBe(Outcome.Denied);
        d.Decision.Reasons.ShouldContain(r => r.Code == "DISCONTINUE_BELOW_FLOOR");
    }

    [Fact]
    public void Pomalidomide_Mm_FebrileNeutropenia_AtExactly38Point5()
    {
        DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 900, 150000, 38.5m)).Action.ShouldBe(DoseAction.Hold);
        DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 900, 150000, 38.4m)).Action.ShouldBe(DoseAction.Continue);
    }

    [Fact]
    public void Pomalidomide_Mm_PlateletHold_IsFlaggedUnverified()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 2000, 24999));
        d.Action.ShouldBe(DoseAction.Hold);
        d.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void Kaposi_Anc700_HoldsOnDay1_ContinuesDuringCycle()
    {
        DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.KaposiSarcoma, 5m, 700, 150000, IsCycleDay1: true)).Action.ShouldBe(DoseAction.Hold);
        DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.KaposiSarcoma, 5m, 700, 150000)).Action.ShouldBe(DoseAction.Continue);
    }

    [Fact]
    public void Lenalidomide_Mm_FirstNeutropeniaOnlyToxicity_ResumesAtStartingDose_OtherwiseNextLower()
    {
        var first = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyeloma, 25m, 1000, 150000, HoldingFor: "len-mm-anc"));
        first.DoseMg.ShouldBe(25m);
        var withOther = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyeloma, 25m, 1000, 150000, HoldingFor: "len-mm-anc", NeutropeniaIsOnlyToxicity: false));
        withOther.DoseMg.ShouldBe(20m);
        var second = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyeloma, 25m, 1000, 150000, HoldingFor: "len-mm-anc", PriorNeutropeniaHolds: 1));
        second.DoseMg.ShouldBe(20m);
        second.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void Lenalidomide_Mm_AtFloor_StaysAt2Point5()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyeloma, 2.5m, 5000, 30000, HoldingFor: "len-mm-plt"));
        d.Action.ShouldBe(DoseAction.Resume);
        d.DoseMg.ShouldBe(2.5m);
        d.Decision.Reasons.ShouldContain(r => r.Code == "RESUME_AT_FLOOR");
    }

    [Fact]
    public void Lenalidomide_Maintenance_5MgContinuous_StepsTo5MgDays1To21_ThenStays()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance, 5m, 500, 150000, HoldingFor: "len-maint-anc", CurrentDayTo: 28));
        d.DoseMg.ShouldBe(5m);
        d.DoseDays.ShouldBe("days 1-21");
        var again = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance, 5m, 500, 150000, HoldingFor: "len-maint-anc", CurrentDayTo: 21));
        again.DoseDays.ShouldBe("days 1-21");
        again.Decision.Reasons.ShouldContain(r => r.Code == "RESUME_AT_FLOOR");
    }

    [Fact]
    public void Lenalidomide_Mds_Below5Mg_IsReferredNotInvented()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MyelodysplasticSyndromes, 5m, 5000, 30000, HoldingFor: "len-mds-plt", CurrentDayTo: 28));
        d.Action.ShouldBe(DoseAction.ReferToPrescriber);
        d.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void HoldingForOtherDrugsRule_OrMissingCount_IsArgumentException()
    {
        Should.Throw<ArgumentException>(() => DoseModification.EvaluateCounts(new CountCheck(Drug.Lenalidomide, Indication.MultipleMyeloma, 25m, 1000, 1, HoldingFor: "pom-mm-anc")));
        Should.Throw<ArgumentException>(() => DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, null, 1, HoldingFor: "pom-mm-anc")));
        Should.Throw<ArgumentException>(() => DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, -1, 1)));
        Should.Throw<ArgumentException>(() => DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 1, 1, TemperatureC: 101m)));
        Should.Throw<ArgumentException>(() => DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 1, 1, HoldingFor: "bogus")));
    }

    [Fact]
    public void RecoveredCount_ButAnotherHoldFires_KeepsHolding()
    {
        var d = DoseModification.EvaluateCounts(new CountCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, 600, 20000, HoldingFor: "pom-mm-anc"));
        d.Action.ShouldBe(DoseAction.Hold);
        d.Decision.Reasons.ShouldContain(r => r.Code == "HOLD_POM_MM_PLT");
    }
}
