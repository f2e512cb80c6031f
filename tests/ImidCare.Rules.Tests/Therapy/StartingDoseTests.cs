using ImidCare.Rules.Therapy;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class StartingDoseTests
{
    public static IEnumerable<object[]> RenalIds => StartingDoses.Renal.Select(r => new object[] { r.Id });

    public static IEnumerable<object[]> HepaticIds => StartingDoses.Hepatic.Select(r => new object[] { r.Id });

    [Theory]
    [InlineData(60, 72, 1.0, Sex.Male, 80.0)]
    [InlineData(60, 72, 1.0, Sex.Female, 68.0)]
    [InlineData(80, 60, 2.0, Sex.Male, 25.0)]
    public void CockcroftGault_KnownValues(int age, double kg, double scr, Sex sex, double expected) =>
        CockcroftGault.ClearanceMlMin(new RenalInput(age, (decimal)kg, (decimal)scr, sex)).ShouldBe((decimal)expected, 0.01m);

    [Theory]
    [InlineData(17, 70, 1.0)]
    [InlineData(60, 0, 1.0)]
    [InlineData(60, 70, 0)]
    [InlineData(60, 70, 88)]
    public void CockcroftGault_BadInput_IsArgumentException(int age, double kg, double scr) =>
        Should.Throw<ArgumentException>(() => CockcroftGault.ClearanceMlMin(new RenalInput(age, (decimal)kg, (decimal)scr, Sex.Male)));

    [Theory]
    [MemberData(nameof(RenalIds))]
    public void RenalRow_BothSidesOfEachBound(string id)
    {
        var r = StartingDoses.Renal.Single(x => x.Id == id);
        var dialysis = r.Dialysis ?? false;
        var inside = r.ClcrAtLeast ?? (r.ClcrBelow is { } b ? b - 1 : 45m);
        StartingDoses.Matches(r, inside, dialysis).ShouldBeTrue();
        if (r.ClcrAtLeast is { } lo)
        {
            StartingDoses.Matches(r, lo, dialysis).ShouldBeTrue();
            StartingDoses.Matches(r, lo - 0.01m, dialysis).ShouldBeFalse();
        }

        if (r.ClcrBelow is { } hi)
        {
            StartingDoses.Matches(r, hi - 0.01m, dialysis).ShouldBeTrue();
            StartingDoses.Matches(r, hi, dialysis).ShouldBeFalse();
        }

        if (r.Dialysis is { } d)
        {
            StartingDoses.Matches(r, inside, !d).ShouldBeFalse();
        }

        if (r.Source.Evidence is "K" or "L-OLD")
        {
            r.Source.Unverified.ShouldBeTrue();
        }
    }

    [Theory]
    [MemberData(nameof(HepaticIds))]
    public void HepaticRow_GivesItsDose(string id)
    {
        var r = StartingDoses.Hepatic.Single(x => x.Id == id);
        var regimen = Regimens.All.First(x => x.Drug == r.Drug && x.Indication == r.Indication);
        StartingDoses.Compute(new StartingDoseInput(regimen.Id, Hepatic: r.Class)).DoseMg.ShouldBe(r.DoseMg);
    }

    [Fact]
    public void Lenalidomide_Clcr30To60_10MgDaily_Below30_15MgEvery48h_Dialysis5MgAfter()
    {
        // CLcr = (140-70)*60/(72*1.4) = 41.7
        var mid = StartingDoses.Compute(new StartingDoseInput("len-mm-rd", new RenalInput(70, 60m, 1.4m, Sex.Male)));
        mid.DoseMg.ShouldBe(10m);
        mid.EveryHours.ShouldBe(24);
        mid.UsesUnverifiedRules.ShouldBeTrue();

        var low = StartingDoses.Compute(new StartingDoseInput("len-mm-rd", new RenalInput(70, 60m, 3m, Sex.Male)));
        low.DoseMg.ShouldBe(15m);
        low.EveryHours.ShouldBe(48);

        var hd = StartingDoses.Compute(new StartingDoseInput("len-mm-rd", new RenalInput(70, 60m, 6m, Sex.Male, OnHemodialysis: true)));
        hd.DoseMg.ShouldBe(5m);
        hd.TakeAfterDialysis.ShouldBeTrue();
    }

    [Fact]
    public void Pomalidomide_Dialysis3Mg_HepaticC2Mg_Cyp1a2_2Mg_LowestWins()
    {
        StartingDoses.Compute(new StartingDoseInput("pom-mm-pd", new RenalInput(70, 60m, 6m, Sex.Male, true))).DoseMg.ShouldBe(3m);
        StartingDoses.Compute(new StartingDoseInput("pom-mm-pd", new RenalInput(70, 60m, 3m, Sex.Male))).DoseMg.ShouldBe(4m);
        StartingDoses.Compute(new StartingDoseInput("pom-ks", new RenalInput(70, 60m, 6m, Sex.Male, true))).DoseMg.ShouldBe(4m);
        var cyp = StartingDoses.Compute(new StartingDoseInput("pom-mm-pd", StrongCyp1a2Inhibitor: true));
        cyp.DoseMg.ShouldBe(2m);
        cyp.Decision.Reasons.ShouldContain(r => r.Code == "CYP1A2_2MG" && !r.Unverified);
        StartingDoses.Compute(new StartingDoseInput("pom-mm-pd", new RenalInput(70, 60m, 6m, Sex.Male, true), ChildPugh.C, true)).DoseMg.ShouldBe(2m);
    }

    [Fact]
    public void Lenalidomide_Cyp1a2_HasNoEffect_AndHepaticHasNoRule()
    {
        var r = StartingDoses.Compute(new StartingDoseInput("len-mm-rd", Hepatic: ChildPugh.C, StrongCyp1a2Inhibitor: true));
        r.DoseMg.ShouldBe(25m);
        r.Decision.Reasons.ShouldContain(x => x.Code == "HEPATIC_NO_RULE");
    }

    [Fact]
    public void Lenalidomide_ClcrJustBelow60_IsThe30To60Band_EvenWhenItRoundsTo60()
    {
        // CLcr = (140-70)*61.7/(72*1.0) = 59.986: "30 to less than 60" -> 10 mg, though it shows as 60.0.
        var r = StartingDoses.Compute(new StartingDoseInput("len-mm-rd", new RenalInput(70, 61.7m, 1.0m, Sex.Male)));
        r.ClcrMlMin.ShouldBe(60.0m);
        r.DoseMg.ShouldBe(10m);
        r.Decision.Reasons.ShouldContain(x => x.Code == "RENAL_LEN_MM_CLCR30_60");
    }

    [Fact]
    public void Thalidomide_Hepatic_NoRule_DoesNotCiteTheRevlimidLabel_AndIsUnverified()
    {
        var r = StartingDoses.Compute(new StartingDoseInput("thal-mm-td", Hepatic: ChildPugh.B));
        r.DoseMg.ShouldBe(200m);
        var reason = r.Decision.Reasons.Single(x => x.Code == "HEPATIC_NO_RULE");
        reason.Source.Document.ShouldNotContain("REVLIMID");
        reason.Unverified.ShouldBeTrue();
        StartingDoses.Compute(new StartingDoseInput("len-mm-rd", Hepatic: ChildPugh.B)).Decision.Reasons
            .Single(x => x.Code == "HEPATIC_NO_RULE").Source.Document.ShouldContain("REVLIMID");
    }
}
