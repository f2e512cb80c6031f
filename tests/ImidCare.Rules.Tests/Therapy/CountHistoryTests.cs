using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class CountHistoryTests
{
    private static readonly LocalDate D0 = new(2026, 11, 2);

    private static CountReading Anc(int day, int anc) => new(D0.PlusDays(day), anc, 150000);

    [Fact]
    public void CompletedEpisodes_CountsDropsThatRecovered_NotTheOneUnderWay()
    {
        var rule = HematologicRules.Get("len-mm-anc"); // < 1,000, recovered at >= 1,000
        CountHistory.CompletedEpisodes(rule, []).ShouldBe(0);
        CountHistory.CompletedEpisodes(rule, [Anc(7, 800)]).ShouldBe(0);
        CountHistory.CompletedEpisodes(rule, [Anc(7, 800), Anc(14, 999)]).ShouldBe(0);
        CountHistory.CompletedEpisodes(rule, [Anc(14, 1000), Anc(7, 800)]).ShouldBe(1); // order by date, recovery at exactly 1,000
        CountHistory.CompletedEpisodes(rule, [Anc(7, 800), Anc(14, 1200), Anc(28, 700), Anc(35, 1100), Anc(42, 600)]).ShouldBe(2);
        CountHistory.CompletedEpisodes(rule, [new CountReading(D0, null, 20000)]).ShouldBe(0); // ANC not measured
    }

    [Fact]
    public void AncDaysBelow_RunsFromTheFirstLowReadingSinceTheLastNormalOne()
    {
        CountHistory.AncDaysBelow(1000, [Anc(0, 900)], D0.PlusDays(7), 900).ShouldBe(7);
        CountHistory.AncDaysBelow(1000, [Anc(0, 900), Anc(3, 1000)], D0.PlusDays(7), 900).ShouldBe(0);
        CountHistory.AncDaysBelow(1000, [Anc(0, 900), Anc(3, 800)], D0.PlusDays(6), 900).ShouldBe(6);
        CountHistory.AncDaysBelow(1000, [Anc(0, 900)], D0.PlusDays(7), 1000).ShouldBe(0);
        CountHistory.AncDaysBelow(1000, [Anc(0, 900), Anc(9, 900)], D0.PlusDays(7), 900).ShouldBe(7); // a later reading is not history
    }

    [Fact]
    public void SevenDayRow_FiresOnTheDaysTheHistoryGives()
    {
        var rule = HematologicRules.Get("len-mcl-anc-7d");
        var days = CountHistory.AncDaysBelow(rule.Below, [Anc(0, 900)], D0.PlusDays(7), 900);
        DoseModification.Fires(rule, new CountCheck(Drug.Lenalidomide, Indication.MantleCellLymphoma, 25m, 900, 150000, AncLowForDays: days)).ShouldBeTrue();
        DoseModification.Fires(rule, new CountCheck(Drug.Lenalidomide, Indication.MantleCellLymphoma, 25m, 900, 150000, AncLowForDays: days - 1)).ShouldBeFalse();
    }
}
