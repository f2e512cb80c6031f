using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using NodaTime.Text;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class AuthorizationRulesTests
{
    private static AuthorizationFactsBuilder Facts() => new();

    private static AuthorizationFactsBuilder Frp() => new AuthorizationFactsBuilder().Category(RiskCategory.AdultFemaleCanGetPregnant);

    [Fact]
    public void Evaluate_NotPregnancyCapable_Valid30DaysFromIssue()
    {
        var today = Ny.Date(2026, 6, 15);
        var a = Facts().Now(today).Evaluate();
        a.Decision.Outcome.ShouldBe(Outcome.Allowed);
        a.ValidOn.ShouldBe(new DateInterval(today, today.PlusDays(29)));
        a.ExpiresAt.ShouldBe(Ny.StartOf(today.PlusDays(30)));
        a.AnchorTest.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_IssuedBeforeFallBack_ExpiresAtMidnightEst()
    {
        // Issued 3 Oct 2026: day 30 is 1 Nov (the fall-back day); the window closes at 00:00 EST on 2 Nov = 05:00 UTC.
        var a = Facts().Now(Ny.Date(2026, 10, 3)).Evaluate();
        a.ValidOn!.End.ShouldBe(Ny.Date(2026, 11, 1));
        a.ExpiresAt.ShouldBe(InstantPattern.General.Parse("2026-11-02T05:00:00Z").Value);
    }

    [Fact]
    public void Evaluate_Allowed_ValidityReasonIsUnverified()
    {
        var a = Facts().Evaluate();
        var validity = a.Decision.Reasons.Single(r => r.Code == "REMS.AUTHORIZATION_VALIDITY");
        validity.Unverified.ShouldBeTrue(); // 30 days from issue rests on a third-party paraphrase [T]
        validity.Source.Evidence.ShouldBe("T");
        a.Decision.UsesUnverifiedRules.ShouldBeTrue();
    }

    // The last negative test was taken at 08:00 on D = 26 Oct 2026; the authorization is asked on D + day at hour:minute
    // (New York). D + 6 is 1 Nov, the 25-hour fall-back day.
    public static TheoryData<int, int, int, bool> FrpWindowCases => new()
    {
        { 0, 9, 0, true }, // day 1 is the specimen date
        { 3, 12, 0, true },
        { 6, 0, 0, true },
        { 6, 23, 59, true }, // day 7, one minute before midnight
        { 7, 0, 0, false }, // midnight opening day 8
        { 7, 12, 0, false },
        { 30, 12, 0, false },
    };

    [Theory]
    [MemberData(nameof(FrpWindowCases))]
    public void Evaluate_CanGetPregnant_Valid7DaysFromSpecimenDate(int day, int hour, int minute, bool allowed)
    {
        var d = Ny.Date(2026, 10, 26);
        var a = Frp().Test(Ny.Negative(Ny.At(d, 8))).Now(Ny.At(d.PlusDays(day), hour, minute)).Evaluate();
        a.Decision.IsAllowed.ShouldBe(allowed);
        if (allowed)
        {
            a.ValidOn!.End.ShouldBe(d.PlusDays(6));
            a.ExpiresAt.ShouldBe(InstantPattern.General.Parse("2026-11-02T05:00:00Z").Value);
            a.AnchorTest!.SpecimenAt.ShouldBe(Ny.At(d, 8));
        }
        else
        {
            a.Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_STALE"]);
            a.ValidOn.ShouldBeNull();
            a.ExpiresAt.ShouldBeNull();
        }
    }

    [Fact]
    public void Evaluate_CanGetPregnant_LastTickOfDay7_AllowedAndFirstTickOfDay8_Refused()
    {
        var d = Ny.Date(2026, 10, 26);
        var closes = new DayWindow(7).ClosesAt(d, Ny.Zone);
        Frp().NegativeTestOn(d).Now(closes - Ny.Tick).Evaluate().Decision.IsAllowed.ShouldBeTrue();
        Frp().NegativeTestOn(d).Now(closes).Evaluate().Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_STALE"]);
    }

    [Fact]
    public void Evaluate_CanGetPregnant_AcrossSpringForward()
    {
        // Test on 2 Mar 2026: day 7 is 8 Mar (23 hours long); the window closes at 00:00 EDT on 9 Mar = 04:00 UTC.
        var d = Ny.Date(2026, 3, 2);
        var closes = InstantPattern.General.Parse("2026-03-09T04:00:00Z").Value;
        var a = Frp().NegativeTestOn(d).Now(closes - Ny.Tick).Evaluate();
        a.Decision.IsAllowed.ShouldBeTrue();
        a.ExpiresAt.ShouldBe(closes);
        Frp().NegativeTestOn(d).Now(closes).Evaluate().Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_STALE"]);
    }

    [Fact]
    public void Evaluate_CanGetPregnant_ValidityReasonCountsFromTheTest()
    {
        var d = Ny.Date(2026, 6, 12);
        var a = Frp().NegativeTestOn(d).Now(Ny.Date(2026, 6, 15)).Evaluate();
        a.ValidOn.ShouldBe(new DateInterval(Ny.Date(2026, 6, 15), Ny.Date(2026, 6, 18)));
        var validity = a.Decision.Reasons.Single(r => r.Code == "REMS.AUTHORIZATION_VALIDITY");
        validity.Message.ShouldContain("2026-06-12 is day 1");
        validity.Unverified.ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_CanGetPregnant_NoTest_Refused() =>
        Frp().Evaluate().Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_MISSING"]);

    [Fact]
    public void Evaluate_CanGetPregnant_LatestTestPositive_Refused()
    {
        var today = Ny.Date(2026, 6, 15);
        var a = Frp().NegativeTestOn(today.PlusDays(-3)).Test(Ny.Positive(today.PlusDays(-1))).Now(today).Evaluate();
        a.Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_POSITIVE"]);
    }

    [Fact]
    public void Evaluate_CanGetPregnant_PositiveThenNegative_Allowed()
    {
        var today = Ny.Date(2026, 6, 15);
        var a = Frp().Test(Ny.Positive(today.PlusDays(-3))).NegativeTestOn(today.PlusDays(-1)).Now(today).Evaluate();
        a.Decision.IsAllowed.ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_CanGetPregnant_InsensitiveTest_DoesNotCount()
    {
        var today = Ny.Date(2026, 6, 15);
        var a = Frp().Test(Ny.Negative(Ny.At(today.PlusDays(-1)), sensitivity: 51)).Now(today).Evaluate();
        a.Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_MISSING"]);
    }

    [Fact]
    public void Evaluate_FirstPrescription_CanGetPregnant_NeedsBothPreStartTests()
    {
        var rxAt = Ny.At(2026, 6, 15, 10);
        var second = Ny.Negative(rxAt - Duration.FromHours(20)); // 14:00 the day before
        var a = Frp().FirstPrescription().Now(rxAt).NegativeTestOn(Ny.Date(2026, 6, 3)).Test(second).Evaluate();
        a.Decision.IsAllowed.ShouldBeTrue();
        a.AnchorTest.ShouldBe(second);
        a.ValidOn!.End.ShouldBe(Ny.Date(2026, 6, 20)); // 14 June is day 1

        Frp().FirstPrescription().Now(rxAt).Test(second).Evaluate().Decision.Codes().ShouldBe(["REMS.FIRST_PRESTART_TEST_MISSING"]);
        Frp().FirstPrescription().Now(rxAt).NegativeTestOn(Ny.Date(2026, 6, 3)).Evaluate().Decision.Codes().ShouldBe(["REMS.SECOND_PRESTART_TEST_MISSING"]);
    }

    // program, days supply → refused
    public static TheoryData<string, int, bool> DaysSupplyCases => new()
    {
        { "LEN", 0, true },
        { "LEN", 1, false },
        { "LEN", 28, false },
        { "LEN", 29, true },
        { "POM", 28, false },
        { "POM", 29, true },
        { "THAL", 0, true },
        { "THAL", 28, false },
        { "THAL", 29, true },
        { "IPLEDGE", 0, true },
        { "IPLEDGE", 30, false },
        { "IPLEDGE", 31, true },
    };

    [Theory]
    [MemberData(nameof(DaysSupplyCases))]
    public void Evaluate_DaysSupply(string program, int days, bool refused)
    {
        var p = ProgramCatalog.Find(program)!;
        var category = p.Categories.Value == CategoryScheme.GenderNeutral ? RiskCategory.CannotGetPregnant : RiskCategory.AdultMale;
        var d = Facts().Program(p).Category(category).DaysSupply(days).Evaluate().Decision;
        if (refused)
        {
            d.Codes().ShouldBe(["REMS.DAYS_SUPPLY_OUT_OF_RANGE"]);
        }
        else
        {
            d.IsAllowed.ShouldBeTrue();
        }
    }

    [Theory]
    [InlineData("LEN")]
    [InlineData("IPLEDGE")]
    public void Evaluate_Refills_Refused(string program)
    {
        var p = ProgramCatalog.Find(program)!;
        var category = p.Categories.Value == CategoryScheme.GenderNeutral ? RiskCategory.CannotGetPregnant : RiskCategory.AdultMale;
        Facts().Program(p).Category(category).DaysSupply(28).Refills(1).Evaluate().Decision.Codes().ShouldBe(["REMS.REFILLS_NOT_ALLOWED"]);
    }

    [Fact]
    public void Evaluate_EveryFailure_ListedAtOnce()
    {
        var today = Ny.Date(2026, 6, 15);
        var d = Frp().Now(today).Prescriber(CertificationStatus.Suspended).NegativeTestOn(today.PlusDays(-7)).DaysSupply(29).Evaluate().Decision;
        d.Outcome.ShouldBe(Outcome.Denied);
        d.Codes().ShouldBe(["REMS.PRESCRIBER_DEACTIVATED", "REMS.PREGNANCY_TEST_STALE", "REMS.DAYS_SUPPLY_OUT_OF_RANGE"], ignoreOrder: true);
    }

    [Fact]
    public void Evaluate_EverythingWrong_ListsEveryCode()
    {
        var d = Frp().Drug("isotretinoin").Prescriber(null).Enrollment(null).DaysSupply(0).Refills(2).Counseling(false).Hold("DONATION").LastSurvey(null).Evaluate().Decision;
        d.Outcome.ShouldBe(Outcome.Denied); // a denial outranks the hold
        d.Codes().ShouldBe(
            [
                "REMS.DRUG_NOT_IN_PROGRAM", "REMS.PRESCRIBER_NOT_CERTIFIED", "REMS.PATIENT_NOT_ENROLLED", "REMS.DAYS_SUPPLY_OUT_OF_RANGE",
                "REMS.REFILLS_NOT_ALLOWED", "REMS.COUNSELING_NOT_ATTESTED", "REMS.HOLD_DONATION", "REMS.SURVEY_DUE", "REMS.PREGNANCY_TEST_MISSING",
            ],
            ignoreOrder: true);
    }

    [Fact]
    public void Evaluate_AgreementNotSigned_Refused() =>
        Facts().Enrollment(EnrollmentStatus.Enrolled, signed: false).Evaluate().Decision.Codes().ShouldBe(["REMS.PATIENT_NOT_ENROLLED"]);

    [Fact]
    public void Evaluate_OpenHold_Holds()
    {
        var a = Facts().Hold("SHARED_CAPSULES").Evaluate();
        a.Decision.Outcome.ShouldBe(Outcome.Hold);
        a.Decision.Codes().ShouldBe(["REMS.HOLD_SHARED_CAPSULES"]);
        a.Decision.UsesUnverifiedRules.ShouldBeTrue();
        a.ValidOn.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_SurveyDue_Refused() =>
        Facts().LastSurvey(Ny.Date(2026, 5, 14)).Evaluate().Decision.Codes().ShouldBe(["REMS.SURVEY_DUE"]);

    [Fact]
    public void Evaluate_FirstPrescription_NoSurveyNeededInBms() =>
        Facts().FirstPrescription().LastSurvey(null).Evaluate().Decision.IsAllowed.ShouldBeTrue();

    // iPLEDGE-style lockout: the window opened by a test on 20 May 2026 was missed; the next test must be on or after 8 June (D + 19).
    private static readonly LocalDate MissedTest = Ny.Date(2026, 5, 20);

    private static AuthorizationFactsBuilder IPledgeAfterMiss(ProgramRules program) =>
        new AuthorizationFactsBuilder().Program(program).Category(RiskCategory.CanGetPregnant).DaysSupply(30).MissedWindowOpenedBy(MissedTest).NegativeTestOn(MissedTest);

    public static TheoryData<int, bool> LockoutCases => new()
    {
        { 18, false },
        { 19, true },
        { 21, true },
    };

    [Theory]
    [MemberData(nameof(LockoutCases))]
    public void Evaluate_IPledgeLockout_TestOnOrAfterDay19(int testDay, bool allowed)
    {
        var testOn = MissedTest.PlusDays(testDay);
        var a = IPledgeAfterMiss(ProgramCatalog.IPledgeStyle).NegativeTestOn(testOn).Now(testOn.PlusDays(1)).Evaluate();
        a.Decision.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            a.Decision.Codes().ShouldBe(["REMS.LOCKOUT"]);
            a.Decision.Reasons[0].Message.ShouldContain("2026-06-08");
        }
        else
        {
            a.AnchorTest!.SpecimenAt.ShouldBe(Ny.At(testOn));
        }
    }

    [Fact]
    public void Evaluate_IPledgeLockout_EndsAtTheStartOfDay19_NotAfterIt()
    {
        // A test taken on the lockout's last day is not enough, and an authorization asked on day 19 itself,
        // with a test taken that morning, is allowed: the lockout covers days 0..18 and no more.
        var day19 = MissedTest.PlusDays(19);
        IPledgeAfterMiss(ProgramCatalog.IPledgeStyle).NegativeTestOn(day19).Now(Ny.At(day19, 15)).Evaluate().Decision.IsAllowed.ShouldBeTrue();
        IPledgeAfterMiss(ProgramCatalog.IPledgeStyle).Test(Ny.Negative(Ny.At(day19, 8))).Now(Ny.StartOf(day19) - Ny.Tick).Evaluate()
            .Decision.Codes().ShouldBe(["REMS.LOCKOUT"]);
    }

    [Fact]
    public void Evaluate_IPledgeLockout_IsData_SwitchedOffAllowsTheDay18Test()
    {
        var noLockout = ProgramCatalog.IPledgeStyle with { Lockout = ProgramCatalog.IPledgeStyle.Lockout with { Enabled = false } };
        var testOn = MissedTest.PlusDays(18);
        IPledgeAfterMiss(noLockout).NegativeTestOn(testOn).Now(testOn.PlusDays(1)).Evaluate().Decision.IsAllowed.ShouldBeTrue();

        var longer = ProgramCatalog.IPledgeStyle with { Lockout = ProgramCatalog.IPledgeStyle.Lockout with { AtLeastDaysAfterMissedTest = 23 } };
        IPledgeAfterMiss(longer).NegativeTestOn(MissedTest.PlusDays(21)).Now(MissedTest.PlusDays(22)).Evaluate().Decision.Codes().ShouldBe(["REMS.LOCKOUT"]);
    }

    [Fact]
    public void Evaluate_BmsPrograms_HaveNoLockout()
    {
        foreach (var p in new[] { ProgramCatalog.Lenalidomide, ProgramCatalog.Pomalidomide, ProgramCatalog.Thalidomide })
        {
            var testOn = MissedTest.PlusDays(1);
            new AuthorizationFactsBuilder().Program(p).Category(RiskCategory.AdultFemaleCanGetPregnant).MissedWindowOpenedBy(MissedTest)
                .NegativeTestOn(testOn).Now(testOn.PlusDays(1)).Evaluate().Decision.IsAllowed.ShouldBeTrue();
        }
    }

    [Fact]
    public void Evaluate_IPledgeFirstPrescription_SecondTest19DaysAfterFirst()
    {
        var rxAt = Ny.At(2026, 6, 15, 15);
        var f = new AuthorizationFactsBuilder().Program(ProgramCatalog.IPledgeStyle).Category(RiskCategory.CanGetPregnant).DaysSupply(30)
            .FirstPrescription().LastSurvey(Ny.Date(2026, 6, 15)).Now(rxAt).Test(Ny.Negative(Ny.At(2026, 6, 15, 9)));
        f.NegativeTestOn(Ny.Date(2026, 5, 27)).Evaluate().Decision.IsAllowed.ShouldBeTrue(); // 19 days before the second
        // 18 days before the second: refused
        var g = new AuthorizationFactsBuilder().Program(ProgramCatalog.IPledgeStyle).Category(RiskCategory.CanGetPregnant).DaysSupply(30)
            .FirstPrescription().LastSurvey(Ny.Date(2026, 6, 15)).Now(rxAt).Test(Ny.Negative(Ny.At(2026, 6, 15, 9)));
        g.NegativeTestOn(Ny.Date(2026, 5, 28)).Evaluate().Decision.Codes().ShouldAllBe(c => c.EndsWith("_MISSING", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lenalidomide")]
    [InlineData("  Lenalidomide ")]
    [InlineData("LENALIDOMIDE")]
    public void TheDrug_IsMatchedTrimmedInAnyCase_AndNamedAsTheProgramNamesIt(string asked)
    {
        var a = Facts().Program(ProgramCatalog.Lenalidomide).Drug(asked).Evaluate();
        a.Decision.Outcome.ShouldBe(Outcome.Allowed);
        a.Decision.Reasons.Single(r => r.Code == "REMS.DRUG_IN_PROGRAM").Message.ShouldBe("lenalidomide is covered by the Lenalidomide REMS.");
    }

    [Fact]
    public void AProgramCopiedWithOtherParameters_GivesItsOwnReasons()
    {
        var renamed = ProgramCatalog.Lenalidomide with { Name = "Renamed REMS" };
        Facts().Program(ProgramCatalog.Lenalidomide).Drug("lenalidomide").Evaluate();
        var a = Facts().Program(renamed).Drug("lenalidomide").Evaluate();
        a.Decision.Reasons.Single(r => r.Code == "REMS.DRUG_IN_PROGRAM").Message.ShouldBe("lenalidomide is covered by the Renamed REMS.");
        Facts().Program(ProgramCatalog.Lenalidomide).Drug("thalidomide").Evaluate().Decision.Reasons
            .Single().Code.ShouldBe("REMS.DRUG_NOT_IN_PROGRAM");
    }

    [Theory]
    [InlineData(2026, 1, 5, 9, 7, "2026-01-05 09:07")]
    [InlineData(999, 12, 31, 23, 59, "0999-12-31 23:59")]
    [InlineData(2026, 11, 22, 0, 0, "2026-11-22 00:00")]
    public void Dates_AreWrittenZeroPadded(int y, int m, int d, int h, int min, string expected)
    {
        var zone = DateTimeZone.Utc;
        Fmt.DateTime(new LocalDateTime(y, m, d, h, min).InUtc().ToInstant(), zone).ShouldBe(expected);
        Fmt.Date(new LocalDate(y, m, d)).ShouldBe(expected[..10]);
    }

    /// <summary>Every rendering agrees with NodaTime's ISO pattern, also for the years the hand-written path cannot write (it wrote "-0044" as garbage).</summary>
    [Theory]
    [InlineData(-44, 3, 15, "-0044-03-15")]
    [InlineData(-9998, 1, 1, "-9998-01-01")]
    [InlineData(0, 6, 1, "0000-06-01")]
    [InlineData(1, 1, 1, "0001-01-01")]
    [InlineData(9999, 12, 31, "9999-12-31")]
    public void EveryYearOfTheCalendar_IsWrittenAsTheIsoPatternWritesIt(int y, int m, int d, string expected)
    {
        var date = new LocalDate(y, m, d);
        NodaTime.Text.LocalDatePattern.Iso.Format(date).ShouldBe(expected);
        Fmt.Date(date).ShouldBe(expected);
        $"on {Fmt.Iso(date)}.".ShouldBe($"on {expected}.");
        Fmt.Join("from ", date, " on").ShouldBe($"from {expected} on");
        Fmt.Join("from ", date, " to ", date, ".").ShouldBe($"from {expected} to {expected}.");
        Fmt.DateTime(date.At(new LocalTime(7, 5)).InUtc().ToInstant(), DateTimeZone.Utc).ShouldBe($"{expected} 07:05");
    }
}
