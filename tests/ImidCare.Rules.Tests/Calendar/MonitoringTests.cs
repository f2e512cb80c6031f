using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Calendar;

public class MonitoringTests
{
    private static readonly LocalDate Start = new(2026, 1, 31);

    public static IEnumerable<object[]> RuleIds => MonitoringRules.All.Select(r => new object[] { r.Id });

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void EveryRule_FirstPhaseEdges_AndSourceFlagged(string id)
    {
        var rule = MonitoringRules.All.Single(r => r.Id == id);
        var dates = MonitoringSchedule.Dates(rule.Phases, Start, Start.PlusYears(1)).ToList();
        dates.ShouldNotBeEmpty();
        dates.ShouldBeInOrder();
        dates.Distinct().Count().ShouldBe(dates.Count);
        dates.ShouldAllBe(d => d >= Start && d <= Start.PlusYears(1));
        if (rule.Source.Evidence == "K")
        {
            rule.Source.Unverified.ShouldBeTrue();
        }
    }

    [Fact]
    public void WeeklyFor8Weeks_ThenMonthly_Edges()
    {
        var dates = MonitoringSchedule.Dates(MonitoringRules.WeeklyFor8WeeksThenMonthly, Start, Start.PlusMonths(5)).ToList();
        dates.Take(8).ShouldBe(Enumerable.Range(0, 8).Select(i => Start.PlusWeeks(i)));
        dates.ShouldContain(Start.PlusWeeks(7));
        dates.ShouldNotContain(Start.PlusWeeks(9));
        dates[8].ShouldBe(Start.PlusWeeks(8));
        dates[9].ShouldBe(Start.PlusWeeks(8).PlusMonths(1));
    }

    [Fact]
    public void KaposiCbc_Every2WeeksFor12Weeks_ThenMonthly_AndFlaggedUnverified()
    {
        var rule = MonitoringRules.All.Single(r => r.Id == "pom-ks-cbc");
        var dates = MonitoringSchedule.Dates(rule.Phases, Start, Start.PlusMonths(6)).ToList();
        dates.Take(6).ShouldBe(Enumerable.Range(0, 6).Select(i => Start.PlusWeeks(2 * i)));
        dates[6].ShouldBe(Start.PlusWeeks(12));
        dates[7].ShouldBe(Start.PlusWeeks(12).PlusMonths(1));
        rule.Source.Unverified.ShouldBeTrue();
    }

    [Fact]
    public void Pomalidomide_HasNoThyroidItem_LenalidomideThyroidIsBaselineOnlyAndUnverified()
    {
        MonitoringSchedule.Build(Drug.Pomalidomide, Indication.MultipleMyeloma, Start, Start.PlusYears(1)).ShouldNotContain(i => i.Kind == "THYROID");
        var len = MonitoringSchedule.Build(Drug.Lenalidomide, Indication.MultipleMyeloma, Start, Start.PlusYears(1));
        var thyroid = len.Where(i => i.Kind == "THYROID").ToList();
        thyroid.Single().Date.ShouldBe(Start);
        thyroid[0].Basis.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void ThalidomideHivViralLoad_After1stAnd3rdMonthThenEvery3Months_OnlyIfHivPositive()
    {
        MonitoringSchedule.Build(Drug.Thalidomide, Indication.MultipleMyeloma, Start, Start.PlusYears(1)).ShouldNotContain(i => i.Kind == "HIV_VIRAL_LOAD");
        var hiv = MonitoringSchedule.Build(Drug.Thalidomide, Indication.MultipleMyeloma, Start, Start.PlusYears(1), hivPositive: true)
            .Where(i => i.Kind == "HIV_VIRAL_LOAD").Select(i => i.Date).ToList();
        hiv.ShouldBe([Start.PlusMonths(1), Start.PlusMonths(3), Start.PlusMonths(6), Start.PlusMonths(9), Start.PlusMonths(12)]);
    }

    [Fact]
    public void ExtraItems_AreMergedInDateOrder_AndClippedToRange()
    {
        var basis = Decision.Allow(new Reason("REMS_PREG", "Pregnancy test", RuleSource.Verified("REMS", "S")));
        var extra = new[]
        {
            new DueItem(Start.PlusDays(3), "PREGNANCY_TEST", "Pregnancy test", basis),
            new DueItem(Start.PlusDays(-3), "PREGNANCY_TEST", "Pregnancy test", basis),
        };
        var items = MonitoringSchedule.Build(Drug.Pomalidomide, Indication.MultipleMyeloma, Start, Start.PlusMonths(2), extra: extra);
        items.Select(i => i.Date).ShouldBeInOrder();
        items.Count(i => i.Kind == "PREGNANCY_TEST").ShouldBe(1);
        items.ShouldContain(i => i.Kind == "LFT" && i.Date == Start);
        items.ShouldContain(i => i.Kind == "CBC" && i.Date == Start);
    }
}
