using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Calendar;

public class MissedDoseTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];
    private static readonly LocalTime Nine = new(9, 0);

    private static Instant At(LocalDateTime ldt) => ldt.InZoneStrictly(NewYork).ToInstant();

    [Fact]
    public void Window_IsDefinedOnceAsTwelveHours() =>
        MissedDose.Rules.ShouldAllBe(r => r.Window == MissedDose.Window && r.Window == Duration.FromHours(12));

    [Theory]
    [InlineData(Drug.Pomalidomide)]
    [InlineData(Drug.Lenalidomide)]
    [InlineData(Drug.Thalidomide)]
    public void ExactlyTwelveHours_Take_OneTickLater_Skip(Drug drug)
    {
        var day = new LocalDate(2026, 6, 10);
        var usual = At(day.At(Nine));
        MissedDose.Evaluate(drug, day, Nine, NewYork, usual + Duration.FromHours(12)).Action.ShouldBe(MissedDoseAction.TakeNow);
        var late = MissedDose.Evaluate(drug, day, Nine, NewYork, usual + Duration.FromHours(12) + Duration.Epsilon);
        late.Action.ShouldBe(MissedDoseAction.SkipAndTakeNextAtUsualTime);
        late.Decision.Outcome.ShouldBe(Outcome.Denied);
    }

    [Fact]
    public void Lenalidomide_RuleIsFlaggedUnverified() =>
        MissedDose.Evaluate(Drug.Lenalidomide, new LocalDate(2026, 6, 10), Nine, NewYork, At(new LocalDateTime(2026, 6, 10, 10, 0)))
            .Decision.UsesUnverifiedRules.ShouldBeTrue();

    [Fact]
    public void BeforeUsualTime_NotYetDue_AndAlreadyTaken_NeverDoubles()
    {
        var day = new LocalDate(2026, 6, 10);
        MissedDose.Evaluate(Drug.Pomalidomide, day, Nine, NewYork, At(day.At(new LocalTime(8, 59)))).Action.ShouldBe(MissedDoseAction.NotYetDue);
        MissedDose.Evaluate(Drug.Pomalidomide, day, Nine, NewYork, At(day.At(new LocalTime(10, 0))), alreadyTaken: true).Action.ShouldBe(MissedDoseAction.AlreadyTaken);
    }

    [Fact]
    public void AcrossSpringForward_TwelveRealHoursEndAtWallClock9Am()
    {
        // 2026-03-08 02:00 EST -> 03:00 EDT. Usual dose 20:00 on 7 March: 12 elapsed hours is 09:00 EDT, not 08:00.
        var day = new LocalDate(2026, 3, 7);
        var time = new LocalTime(20, 0);
        var deadline = At(new LocalDateTime(2026, 3, 8, 9, 0));
        var advice = MissedDose.Evaluate(Drug.Pomalidomide, day, time, NewYork, deadline);
        advice.Action.ShouldBe(MissedDoseAction.TakeNow);
        advice.LatestCatchUp.ShouldBe(deadline);
        MissedDose.Evaluate(Drug.Pomalidomide, day, time, NewYork, deadline + Duration.Epsilon).Action.ShouldBe(MissedDoseAction.SkipAndTakeNextAtUsualTime);
    }

    [Fact]
    public void AcrossFallBack_TwelveRealHoursEndAtWallClock7Am()
    {
        // 2026-11-01 02:00 EDT -> 01:00 EST.
        var day = new LocalDate(2026, 10, 31);
        var time = new LocalTime(20, 0);
        var deadline = At(new LocalDateTime(2026, 11, 1, 7, 0));
        MissedDose.Evaluate(Drug.Thalidomide, day, time, NewYork, deadline).Action.ShouldBe(MissedDoseAction.TakeNow);
        MissedDose.Evaluate(Drug.Thalidomide, day, time, NewYork, deadline + Duration.Epsilon).Action.ShouldBe(MissedDoseAction.SkipAndTakeNextAtUsualTime);
    }

    [Fact]
    public void UsualTimeInsideTheGap_MapsToFirstValidInstant()
    {
        var advice = MissedDose.Evaluate(Drug.Pomalidomide, new LocalDate(2026, 3, 8), new LocalTime(2, 30), NewYork, At(new LocalDateTime(2026, 3, 8, 4, 0)));
        advice.UsualDoseInstant.ShouldBe(At(new LocalDateTime(2026, 3, 8, 3, 30)));
        advice.Action.ShouldBe(MissedDoseAction.TakeNow);
    }

    [Fact]
    public void EvaluateLatest_AfterMidnight_LooksAtYesterdaysEveningDose()
    {
        var time = new LocalTime(21, 0);
        var now = At(new LocalDateTime(2026, 6, 11, 8, 0));
        var a = MissedDose.EvaluateLatest(Drug.Pomalidomide, time, NewYork, now);
        a.DoseDate.ShouldBe(new LocalDate(2026, 6, 10));
        a.Action.ShouldBe(MissedDoseAction.TakeNow);
        MissedDose.EvaluateLatest(Drug.Pomalidomide, time, NewYork, At(new LocalDateTime(2026, 6, 11, 9, 1))).Action.ShouldBe(MissedDoseAction.SkipAndTakeNextAtUsualTime);
        MissedDose.EvaluateLatest(Drug.Pomalidomide, time, NewYork, At(new LocalDateTime(2026, 6, 11, 21, 0))).DoseDate.ShouldBe(new LocalDate(2026, 6, 11));
    }
}
