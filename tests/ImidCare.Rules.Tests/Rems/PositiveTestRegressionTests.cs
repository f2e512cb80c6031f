using ImidCare.Rules.Rems;
using Shouldly;
using TestResult = ImidCare.Rules.Rems.TestResult;

namespace ImidCare.Rules.Tests.Rems;

/// <summary>A positive test is cleared only by a later negative test that counts.</summary>
public class PositiveTestRegressionTests
{
    private static readonly NodaTime.LocalDate Today = Ny.Date(2026, 6, 15);

    public static TheoryData<TestResult, int> NonClearingFollowUps => new()
    {
        { TestResult.Indeterminate, 25 }, // not negative
        { TestResult.Negative, 100 }, // negative, but not sensitive enough to count
    };

    [Theory]
    [MemberData(nameof(NonClearingFollowUps))]
    public void Evaluate_PositiveFollowedByATestThatDoesNotCount_StillRefused(TestResult result, int sensitivity)
    {
        var a = new AuthorizationFactsBuilder().Category(RiskCategory.AdultFemaleCanGetPregnant).Now(Today)
            .NegativeTestOn(Today.PlusDays(-3))
            .Test(Ny.Positive(Today.PlusDays(-2)))
            .Test(new PregnancyTest(Ny.At(Today.PlusDays(-1)), result, sensitivity, TestSetting.Home))
            .Evaluate();
        a.Decision.Codes().ShouldBe(["REMS.PREGNANCY_TEST_POSITIVE"]);
    }
}
