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

    // The [K] CBC schedules, each at the edges of its phases: the last date inside a phase, the first of the next.
    private static List<LocalDate> Cbc(string id) =>
        MonitoringSchedule.Dates(MonitoringRules.All.Single(r => r.Id == id).Phases, Start, Start.PlusMonths(6)).ToList();

    [Theory]
    [InlineData("len-mm-cbc")]
    [InlineData("len-maint-cbc")]
    public void LenalidomideMmCbc_Weekly8Weeks_Every2WeeksFor4_ThenEvery28Days_Edges(string id)
    {
        var dates = Cbc(id);
        dates.Take(8).ShouldBe(Enumerable.Range(0, 8).Select(i => Start.PlusWeeks(i))); // weeks 0..7: the last weekly one is week 7
        dates[8].ShouldBe(Start.PlusWeeks(8)); // week 8 opens the two-weekly phase
        dates[9].ShouldBe(Start.PlusWeeks(10)); // the last two-weekly date (cycle 3 day 15)
        dates[10].ShouldBe(Start.PlusWeeks(12)); // week 12 opens the 28-day phase
        dates[11].ShouldBe(Start.PlusWeeks(12).PlusDays(28));
        MonitoringRules.All.Single(r => r.Id == id).Source.Unverified.ShouldBeTrue();
    }

    [Fact]
    public void LenalidomideMclCbc_Weekly4Weeks_Every2WeeksFor12_ThenMonthly_Edges()
    {
        var dates = Cbc("len-mcl-cbc");
        dates.Take(4).ShouldBe(Enumerable.Range(0, 4).Select(i => Start.PlusWeeks(i))); // weeks 0..3
        dates[4].ShouldBe(Start.PlusWeeks(4)); // then every 2 weeks from week 4
        dates[9].ShouldBe(Start.PlusWeeks(14)); // the last two-weekly date
        dates[10].ShouldBe(Start.PlusWeeks(16)); // week 16 opens the monthly phase
        dates[11].ShouldBe(Start.PlusWeeks(16).PlusMonths(1));
    }

    [Fact]
    public void LenalidomideFlCbc_Weekly3Weeks_NoneInWeek4_Every2WeeksFor12_ThenMonthly_Edges()
    {
        var dates = Cbc("len-fl-cbc");
        dates.Take(3).ShouldBe(Enumerable.Range(0, 3).Select(i => Start.PlusWeeks(i))); // weeks 0..2
        dates.ShouldNotContain(Start.PlusWeeks(3)); // nothing in week 4 of cycle 1
        dates[3].ShouldBe(Start.PlusWeeks(4)); // cycle 2 day 1
        dates[8].ShouldBe(Start.PlusWeeks(14));
        dates[9].ShouldBe(Start.PlusWeeks(16));
        dates[10].ShouldBe(Start.PlusWeeks(16).PlusMonths(1));
    }

    [Fact]
    public void ThalidomideNeuropathyExam_MonthlyForThreeMonths_ThenNone()
    {
        var rule = MonitoringRules.All.Single(r => r.Id == "thal-neuro");
        MonitoringSchedule.Dates(rule.Phases, Start, Start.PlusYears(1)).ShouldBe([Start, Start.PlusMonths(1), Start.PlusMonths(2)]);
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
