using FsCheck;
using FsCheck.Fluent;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;

namespace ImidCare.Rules.Tests.Rems;

/// <summary>The day-counting conventions as properties over whole years, DST changes included.</summary>
public class WindowPropertyTests
{
    private static readonly LocalDate Base = Ny.Date(2024, 1, 1);

    // Any date from 2024 to 2030 (several spring and fall changes).
    private static readonly Arbitrary<int> DayIndex = Arb.From(Gen.Choose(0, 7 * 366));

    [Fact]
    public void DayWindow_LastTickBelongsToLastDay_ClosingInstantToTheNext()
    {
        Prop.ForAll(DayIndex, Arb.From(Gen.Choose(1, 60)), (i, days) =>
        {
            var d = Base.PlusDays(i);
            var w = new DayWindow(days);
            var closes = w.ClosesAt(d, Ny.Zone);
            return ProgramTime.Today(closes - Ny.Tick, Ny.Zone) == w.LastDay(d)
                && ProgramTime.Today(closes, Ny.Zone) == d.PlusDays(days)
                && w.From(d).Length == days;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Authorization_CanGetPregnant_AllowedExactlyOnDays1To7()
    {
        // Test at a random minute of day D, asked at a random minute of day D + k.
        Prop.ForAll(DayIndex, Arb.From(Gen.Choose(0, 12)), Arb.From(Gen.Choose(0, (24 * 60) - 1)), (i, k, minute) =>
        {
            var d = Base.PlusDays(i);
            var testAt = Ny.StartOf(d) + Duration.FromMinutes(30);
            var askAt = Ny.StartOf(d.PlusDays(k)) + Duration.FromMinutes(minute);
            if (ProgramTime.Today(askAt, Ny.Zone) != d.PlusDays(k) || askAt < testAt)
            {
                return true; // a minute beyond a 23-hour day, or before the test: not this property's concern
            }

            var a = new AuthorizationFactsBuilder().Category(RiskCategory.AdultFemaleCanGetPregnant).Test(Ny.Negative(testAt)).Now(askAt).Evaluate();
            return k <= 6
                ? a.Decision.IsAllowed && a.ValidOn!.End == d.PlusDays(6) && a.ExpiresAt == Ny.StartOf(d.PlusDays(7))
                : !a.Decision.IsAllowed && a.Decision.Reasons.Single().Code == "REMS.PREGNANCY_TEST_STALE";
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Authorization_Others_Valid30DaysFromIssue()
    {
        Prop.ForAll(DayIndex, Arb.From(Gen.Choose(0, 23)), (i, hour) =>
        {
            var d = Base.PlusDays(i);
            var now = Ny.StartOf(d) + Duration.FromHours(hour);
            var today = ProgramTime.Today(now, Ny.Zone);
            var a = new AuthorizationFactsBuilder().Now(now).Evaluate();
            return a.ValidOn == new DateInterval(today, today.PlusDays(29)) && a.ExpiresAt == Ny.StartOf(today.PlusDays(30));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void EarlyFill_AllowedIffAtMost7DaysRemain()
    {
        Prop.ForAll(DayIndex, Arb.From(Gen.Choose(1, 28)), Arb.From(Gen.Choose(-5, 40)), (i, supply, elapsed) =>
        {
            var dispensed = Base.PlusDays(i);
            var today = dispensed.PlusDays(elapsed);
            var remaining = supply - elapsed; // (D + S) − today
            var d = DispensingRules.EarlyFill(ProgramCatalog.Pomalidomide, new PreviousDispense(dispensed, supply), today);
            return d.IsAllowed == (remaining <= 7);
        }).QuickCheckThrowOnFailure();
    }
}
