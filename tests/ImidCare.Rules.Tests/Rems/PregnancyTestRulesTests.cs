using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using Shouldly;
using TestResult = ImidCare.Rules.Rems.TestResult;

namespace ImidCare.Rules.Tests.Rems;

public class PregnancyTestRulesTests
{
    private static readonly ProgramRules Len = ProgramCatalog.Lenalidomide;

    // First prescription written at 10:00 New York time on 15 June 2026.
    private static readonly Instant RxAt = Ny.At(2026, 6, 15, 10);
    private static readonly LocalDate RxDate = Ny.Date(2026, 6, 15);

    public static TheoryData<TestResult, int, string?> QualifiesCases => new()
    {
        { TestResult.Negative, 25, null },
        { TestResult.Negative, 50, null }, // exactly the required sensitivity
        { TestResult.Negative, 51, "REMS.TEST_NOT_SENSITIVE" }, // a larger number is a less sensitive test
        { TestResult.Positive, 25, "REMS.TEST_NOT_NEGATIVE" },
        { TestResult.Indeterminate, 25, "REMS.TEST_NOT_NEGATIVE" },
    };

    [Theory]
    [MemberData(nameof(QualifiesCases))]
    public void Qualifies_ResultAndSensitivity(TestResult result, int sensitivity, string? failure)
    {
        var d = PregnancyTestRules.Qualifies(new PregnancyTest(RxAt, result, sensitivity, TestSetting.Lab), Len);
        d.IsAllowed.ShouldBe(failure is null);
        if (failure is not null)
        {
            d.Codes().ShouldBe([failure]);
        }
    }

    [Fact]
    public void Qualifies_HomeTest_AcceptedWhenSensitiveEnough()
    {
        PregnancyTestRules.Qualifies(Ny.Negative(RxAt, 50, TestSetting.Home), Len).Codes().ShouldBe(["REMS.TEST_HOME_ACCEPTED"]);
        PregnancyTestRules.Qualifies(Ny.Negative(RxAt, 100, TestSetting.Home), Len).IsAllowed.ShouldBeFalse();
    }

    [Fact]
    public void Qualifies_IPledgeNeeds25() =>
        PregnancyTestRules.Qualifies(Ny.Negative(RxAt, 26), ProgramCatalog.IPledgeStyle).Codes().ShouldBe(["REMS.TEST_NOT_SENSITIVE"]);

    // Days before the prescription date of the first test (its specimen at noon), and whether pre-start passes
    // with a second test two hours before the prescription.
    public static TheoryData<int, bool> FirstTestDayCases => new()
    {
        { 9, false },
        { 10, true },
        { 12, true },
        { 14, true },
        { 15, false },
    };

    [Theory]
    [MemberData(nameof(FirstTestDayCases))]
    public void PreStart_FirstTest_10To14DaysBefore(int daysBefore, bool allowed)
    {
        var tests = new[] { Ny.Negative(RxDate.PlusDays(-daysBefore)), Ny.Negative(RxAt - Duration.FromHours(2)) };
        var d = PregnancyTestRules.PreStart(tests, Len, RxAt);
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING"]);
        }
    }

    [Fact]
    public void PreStart_FirstTestAtEdgesOfItsDays_CountsByNewYorkDate()
    {
        // 14 days before at 00:00 and 10 days before at 23:59:59 both count.
        var early = Ny.StartOf(RxDate.PlusDays(-14));
        var late = Ny.StartOf(RxDate.PlusDays(-9)) - Ny.Tick;
        var second = Ny.Negative(RxAt - Duration.FromHours(1));
        PregnancyTestRules.PreStart([Ny.Negative(early), second], Len, RxAt).IsAllowed.ShouldBeTrue();
        PregnancyTestRules.PreStart([Ny.Negative(late), second], Len, RxAt).IsAllowed.ShouldBeTrue();
        PregnancyTestRules.PreStart([Ny.Negative(early - Ny.Tick), second], Len, RxAt).IsAllowed.ShouldBeFalse();
        PregnancyTestRules.PreStart([Ny.Negative(late + Ny.Tick), second], Len, RxAt).IsAllowed.ShouldBeFalse();
    }

    [Fact]
    public void PreStart_ASpecimenDatedBeforeYearOne_IsOnlyTooOld()
    {
        // 0001-01-01T00:00Z is 31 December of year 0 in New York: outside what .NET's DateOnly can
        // hold, so the matcher's day numbers must not go through it.
        var ancient = Ny.Negative(Instant.FromUtc(1, 1, 1, 0, 0));
        var d = PregnancyTestRules.PreStart([ancient, Ny.Negative(RxAt - Duration.FromHours(1))], Len, RxAt);
        d.Codes().ShouldContain("REMS.FIRST_PRESTART_TEST_MISSING");
        PregnancyTestRules.PreStart([ancient, Ny.Negative(RxDate.PlusDays(-12)), Ny.Negative(RxAt - Duration.FromHours(1))], Len, RxAt).IsAllowed.ShouldBeTrue();
    }

    // How long before the prescription instant the second test's specimen was taken, in ticks.
    public static TheoryData<long, bool> SecondTestCases => new()
    {
        { 0, true }, // at the very instant of prescribing
        { Duration.FromHours(2).BclCompatibleTicks, true },
        { Duration.FromHours(24).BclCompatibleTicks, true }, // exactly 24 h
        { Duration.FromHours(24).BclCompatibleTicks + 1, false }, // 24 h and one tick
        { -1, false }, // after the prescription
    };

    [Theory]
    [MemberData(nameof(SecondTestCases))]
    public void PreStart_SecondTest_Within24HoursBefore(long ticksBefore, bool allowed)
    {
        var tests = new[] { Ny.Negative(RxDate.PlusDays(-12)), Ny.Negative(RxAt - Duration.FromTicks(ticksBefore)) };
        var d = PregnancyTestRules.PreStart(tests, Len, RxAt);
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldBe(["REMS.SECOND_PRESTART_TEST_MISSING"]);
        }
    }

    [Fact]
    public void PreStart_SecondTest_24HoursAcrossSpringForward_IsElapsedTime()
    {
        // 12:00 EDT on 8 March 2026 is 16:00 UTC; 24 h earlier is 11:00 EST on 7 March (a 23-hour day in between).
        var rxAt = Ny.At(2026, 3, 8, 12);
        var first = Ny.Negative(Ny.Date(2026, 2, 26));
        PregnancyTestRules.PreStart([first, Ny.Negative(Ny.At(2026, 3, 7, 11))], Len, rxAt).IsAllowed.ShouldBeTrue();
        PregnancyTestRules.PreStart([first, Ny.Negative(Ny.At(2026, 3, 7, 11) - Ny.Tick)], Len, rxAt).IsAllowed.ShouldBeFalse();
    }

    [Fact]
    public void PreStart_OneTestCannotSatisfyBoth()
    {
        PregnancyTestRules.PreStart([Ny.Negative(RxAt - Duration.FromHours(1))], Len, RxAt).Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING"]);
        PregnancyTestRules.PreStart([Ny.Negative(RxDate.PlusDays(-12))], Len, RxAt).Codes().ShouldBe(["REMS.SECOND_PRESTART_TEST_MISSING"]);
        PregnancyTestRules.PreStart([], Len, RxAt).Codes()
            .ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING", "REMS.SECOND_PRESTART_TEST_MISSING"]);
    }

    [Fact]
    public void PreStart_TwoTestsInside24Hours_StillNeedTheEarlierOne() =>
        PregnancyTestRules.PreStart([Ny.Negative(RxAt - Duration.FromHours(20)), Ny.Negative(RxAt - Duration.FromHours(1))], Len, RxAt)
            .Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING"]);

    public static TheoryData<TestResult, int> NotCountingCases => new()
    {
        { TestResult.Positive, 25 },
        { TestResult.Indeterminate, 25 },
        { TestResult.Negative, 51 },
        { TestResult.Negative, 100 },
    };

    [Theory]
    [MemberData(nameof(NotCountingCases))]
    public void PreStart_TestThatDoesNotQualify_DoesNotCount(TestResult result, int sensitivity)
    {
        var bad = new PregnancyTest(Ny.At(RxDate.PlusDays(-12)), result, sensitivity, TestSetting.Lab);
        PregnancyTestRules.PreStart([bad, Ny.Negative(RxAt - Duration.FromHours(1))], Len, RxAt).Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING"]);
        var bad2 = bad with { SpecimenAt = RxAt - Duration.FromHours(1) };
        PregnancyTestRules.PreStart([Ny.Negative(RxDate.PlusDays(-12)), bad2], Len, RxAt).Codes().ShouldBe(["REMS.SECOND_PRESTART_TEST_MISSING"]);
    }

    [Fact]
    public void PreStart_Allowed_ListsBothTestsWithTheirSources()
    {
        var d = PregnancyTestRules.PreStart([Ny.Negative(RxDate.PlusDays(-11)), Ny.Negative(RxAt - Duration.FromHours(3))], Len, RxAt);
        d.Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MET", "REMS.SECOND_PRESTART_TEST_MET"]);
        d.UsesUnverifiedRules.ShouldBeFalse(); // the pre-start tests are confirmed [S]
    }

    // iPLEDGE-style: the confirmatory test at least 19 days after the initial one.
    public static TheoryData<int, bool> IPledgeGapCases => new()
    {
        { 18, false },
        { 19, true },
        { 30, true },
    };

    [Theory]
    [MemberData(nameof(IPledgeGapCases))]
    public void PreStart_IPledge_SecondTestAtLeast19DaysAfterFirst(int gap, bool allowed)
    {
        var second = RxDate;
        var tests = new[] { Ny.Negative(Ny.At(second.PlusDays(-gap), 9)), Ny.Negative(Ny.At(second, 9)) };
        var d = PregnancyTestRules.PreStart(tests, ProgramCatalog.IPledgeStyle, RxAt);
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldAllBe(c => c.EndsWith("_MISSING", StringComparison.Ordinal));
        }
    }

    // iPLEDGE-style: the initial test counts up to 60 days before the prescription date (our limit, [I]).
    public static TheoryData<int, bool> IPledgeInitialAgeCases => new()
    {
        { 60, true },
        { 61, false },
    };

    [Theory]
    [MemberData(nameof(IPledgeInitialAgeCases))]
    public void PreStart_IPledge_InitialTestAtMost60DaysBefore_AndUnverified(int daysBefore, bool allowed)
    {
        var tests = new[] { Ny.Negative(Ny.At(RxDate.PlusDays(-daysBefore), 9)), Ny.Negative(Ny.At(RxDate, 9)) };
        var d = PregnancyTestRules.PreStart(tests, ProgramCatalog.IPledgeStyle, RxAt);
        d.IsAllowed.ShouldBe(allowed);
        d.Reasons.Single(r => r.Code.StartsWith("REMS.INITIAL_TEST", StringComparison.Ordinal)).Unverified.ShouldBeTrue();
    }

    [Fact]
    public void PreStart_IPledge_OneTestCannotSatisfyBoth() =>
        PregnancyTestRules.PreStart([Ny.Negative(Ny.At(RxDate, 9))], ProgramCatalog.IPledgeStyle, RxAt).IsAllowed.ShouldBeFalse();

    // Last test date relative to therapy start, menstrual pattern → interval in days.
    public static TheoryData<int, MenstrualPattern, int> NextDueCases => new()
    {
        { 0, MenstrualPattern.Regular, 7 }, // weekly during the first four weeks
        { 27, MenstrualPattern.Irregular, 7 }, // day 28 of therapy is still in the first four weeks
        { 28, MenstrualPattern.Regular, 28 },
        { 28, MenstrualPattern.None, 28 },
        { 28, MenstrualPattern.Irregular, 14 },
    };

    [Theory]
    [MemberData(nameof(NextDueCases))]
    public void NextDue_FollowsThePhaseOfTheLastTest(int lastTestDay, MenstrualPattern pattern, int interval)
    {
        var start = Ny.Date(2026, 5, 1);
        var last = start.PlusDays(lastTestDay);
        var next = PregnancyTestRules.NextDue([Ny.Negative(last)], Len, start, pattern, Ny.At(last, 15))!;
        next.IntervalDays.ShouldBe(interval);
        next.DueOn.ShouldBe(last.PlusDays(interval));
        next.Overdue.ShouldBeFalse();
    }

    [Fact]
    public void NextDue_Overdue_FromTheDayAfterTheDueDate()
    {
        var start = Ny.Date(2026, 5, 1);
        var tests = new[] { Ny.Negative(start) };
        PregnancyTestRules.NextDue(tests, Len, start, MenstrualPattern.Regular, Ny.At(start.PlusDays(7), 23))!.Overdue.ShouldBeFalse();
        PregnancyTestRules.NextDue(tests, Len, start, MenstrualPattern.Regular, Ny.At(start.PlusDays(8), 0))!.Overdue.ShouldBeTrue();
        PregnancyTestRules.NextDue(tests, Len, null, MenstrualPattern.Regular, Ny.At(start)).ShouldBeNull();
    }

    [Fact]
    public void FirstPrescriptionUntil_IsTheSecondTestPlus24Hours_Exactly()
    {
        // The first test 12 days before, the second at 09:00 on the 15th: the 24-hour test lapses first.
        var second = Ny.At(2026, 6, 15, 9);
        var tests = new[] { Ny.Negative(RxDate.PlusDays(-12)), Ny.Negative(second) };
        var until = PregnancyTestRules.FirstPrescriptionUntil(tests, Len, RxAt)!.Value;
        until.ShouldBe(second + Duration.FromHours(24));

        // Its edges: supported at the moment it names, not a nanosecond after.
        PregnancyTestRules.PreStart(tests, Len, until).IsAllowed.ShouldBeTrue();
        PregnancyTestRules.PreStart(tests, Len, until + Duration.Epsilon).IsAllowed.ShouldBeFalse();
    }

    [Fact]
    public void FirstPrescriptionUntil_TheFirstTestLapsesFirst_WhenItIsFourteenDaysOld()
    {
        // The first test 14 days before the 15th: the 10-to-14-day window closes at the end of that day in New York.
        var tests = new[] { Ny.Negative(RxDate.PlusDays(-14)), Ny.Negative(RxAt - Duration.FromHours(1)) };
        var until = PregnancyTestRules.FirstPrescriptionUntil(tests, Len, RxAt)!.Value;
        until.ShouldBe(Ny.StartOf(RxDate.PlusDays(1)) - Duration.Epsilon);
    }

    [Fact]
    public void FirstPrescriptionUntil_IsNull_WhenTheTestsDoNotSupportOneNow()
    {
        PregnancyTestRules.FirstPrescriptionUntil([Ny.Negative(RxDate.PlusDays(-12))], Len, RxAt).ShouldBeNull();
        PregnancyTestRules.FirstPrescriptionUntil([], Len, RxAt).ShouldBeNull();
    }

    // A hold that asks for a negative test after it began (facts §6.1 [I]) is cleared only by a test
    // that counts: negative, at least 50 mIU/mL sensitive (facts §4.1), taken after the hold and by now.
    [Theory]
    [InlineData(TestResult.Negative, 50, 1, true)]
    [InlineData(TestResult.Negative, 100, 1, false)] // not sensitive enough
    [InlineData(TestResult.Indeterminate, 25, 1, false)]
    [InlineData(TestResult.Negative, 25, 0, false)] // taken the instant the hold began, not after
    [InlineData(TestResult.Negative, 25, -60, false)]
    public void CountingTestAfter_Hold(TestResult result, int sensitivity, int minutesAfterHold, bool counts)
    {
        var opened = Ny.At(2026, 6, 15, 10);
        var test = new PregnancyTest(opened + Duration.FromMinutes(minutesAfterHold), result, sensitivity, TestSetting.Lab);
        PregnancyTestRules.CountingTestAfter([test], Len, opened, opened + Duration.FromHours(1)).ShouldBe(counts);
    }

    [Fact]
    public void CountingTestAfter_NotYetTaken_DoesNotCount()
    {
        var opened = Ny.At(2026, 6, 15, 10);
        PregnancyTestRules.CountingTestAfter([Ny.Negative(opened + Duration.FromHours(2))], Len, opened, opened + Duration.FromHours(1)).ShouldBeFalse();
    }
}
