using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class RiskCategoryTests
{
    private static readonly LocalDate On = Ny.Date(2026, 6, 15);
    private static readonly LocalDate Adult = Ny.Date(1980, 1, 1);
    private static readonly LocalDate EighteenToday = Ny.Date(2008, 6, 15);
    private static readonly LocalDate EighteenTomorrow = Ny.Date(2008, 6, 16);

    private static CategoryResult Derive(Sex sex, LocalDate dob, bool menses, bool menopause, bool hysterectomy, bool oophorectomy, CategoryScheme scheme = CategoryScheme.SexAndAge) =>
        RiskCategoryRules.Derive(new ReproductiveFacts(sex, dob, menses, menopause, hysterectomy, oophorectomy), scheme, 18, On);

    // sex, date of birth, menses in 24 months, natural menopause ≥ 24 months, hysterectomy, bilateral oophorectomy → category, minor
    public static TheoryData<Sex, LocalDate, bool, bool, bool, bool, RiskCategory, bool> SexAndAgeCases => new()
    {
        { Sex.Female, Adult, true, false, false, false, RiskCategory.AdultFemaleCanGetPregnant, false },
        { Sex.Female, Adult, false, true, false, false, RiskCategory.AdultFemaleCannotGetPregnant, false },
        { Sex.Female, Adult, true, false, true, false, RiskCategory.AdultFemaleCannotGetPregnant, false }, // hysterectomy after recent menses
        { Sex.Female, Adult, true, false, false, true, RiskCategory.AdultFemaleCannotGetPregnant, false }, // bilateral oophorectomy after recent menses
        { Sex.Female, Adult, false, false, true, true, RiskCategory.AdultFemaleCannotGetPregnant, false },
        { Sex.Female, EighteenToday, true, false, false, false, RiskCategory.AdultFemaleCanGetPregnant, false }, // 18th birthday: adult
        { Sex.Female, EighteenTomorrow, true, false, false, false, RiskCategory.FemaleChildCanGetPregnant, true }, // the day before: child
        { Sex.Female, EighteenTomorrow, false, false, false, false, RiskCategory.FemaleChildCannotGetPregnant, true }, // no menses yet
        { Sex.Female, EighteenToday, false, false, false, false, RiskCategory.AdultFemaleCannotGetPregnant, false },
        { Sex.Male, Adult, false, false, false, false, RiskCategory.AdultMale, false },
        { Sex.Male, EighteenToday, false, false, false, false, RiskCategory.AdultMale, false },
        { Sex.Male, EighteenTomorrow, false, false, false, false, RiskCategory.MaleChild, true },
        { Sex.Male, On, false, false, false, false, RiskCategory.MaleChild, true }, // born today
    };

    [Theory]
    [MemberData(nameof(SexAndAgeCases))]
    public void Derive_SexAndAge(Sex sex, LocalDate dob, bool menses, bool menopause, bool hysterectomy, bool oophorectomy, RiskCategory expected, bool minor)
    {
        var result = Derive(sex, dob, menses, menopause, hysterectomy, oophorectomy);
        result.Decision.IsAllowed.ShouldBeTrue();
        result.Category.ShouldBe(expected);
        result.IsMinor.ShouldBe(minor);
        result.Decision.Codes().ShouldContain(minor ? "REMS.CATEGORY_CHILD" : "REMS.CATEGORY_ADULT");
    }

    [Fact]
    public void Derive_HistoryOfInfertility_DoesNotExempt()
    {
        // Infertility is no input at all: a female with menses in the last 24 months can get pregnant, full stop.
        var result = Derive(Sex.Female, Adult, menses: true, menopause: false, hysterectomy: false, oophorectomy: false);
        result.Category.ShouldBe(RiskCategory.AdultFemaleCanGetPregnant);
        result.Decision.Reasons.ShouldContain(r => r.Code == "REMS.CATEGORY_CAN_GET_PREGNANT" && r.Source.Document.Contains("infertility", StringComparison.Ordinal));
    }

    public static TheoryData<Sex, bool, bool, bool, bool> ContradictoryCases => new()
    {
        { Sex.Female, true, true, false, false }, // menses in 24 months and menopause for 24 months
        { Sex.Male, true, false, false, false },
        { Sex.Male, false, true, false, false },
        { Sex.Male, false, false, true, false },
        { Sex.Male, false, false, false, true },
    };

    [Theory]
    [MemberData(nameof(ContradictoryCases))]
    public void Derive_ContradictoryFacts_Refused(Sex sex, bool menses, bool menopause, bool hysterectomy, bool oophorectomy)
    {
        var result = Derive(sex, Adult, menses, menopause, hysterectomy, oophorectomy);
        result.Category.ShouldBeNull();
        result.Decision.Outcome.ShouldBe(Outcome.Denied);
        result.Decision.Codes().ShouldBe(["REMS.FACTS_CONTRADICT"]);
    }

    [Fact]
    public void Derive_DateOfBirthInFuture_Refused()
    {
        var result = Derive(Sex.Male, On.PlusDays(1), false, false, false, false);
        result.Category.ShouldBeNull();
        result.Decision.Codes().ShouldBe(["REMS.DOB_IN_FUTURE"]);
    }

    // The gender-neutral scheme asks the same reproductive facts of everyone.
    public static TheoryData<Sex, LocalDate, bool, bool, bool, RiskCategory, bool> NeutralCases => new()
    {
        { Sex.Female, Adult, true, false, false, RiskCategory.CanGetPregnant, false },
        { Sex.Female, Adult, false, true, false, RiskCategory.CannotGetPregnant, false },
        { Sex.Female, Adult, true, false, true, RiskCategory.CannotGetPregnant, false },
        { Sex.Female, EighteenTomorrow, true, false, false, RiskCategory.CanGetPregnant, true },
        { Sex.Male, Adult, false, false, false, RiskCategory.CannotGetPregnant, false },
        { Sex.Male, Adult, true, false, false, RiskCategory.CanGetPregnant, false }, // sex at birth recorded male, reproductive facts decide
        { Sex.Male, EighteenTomorrow, false, false, false, RiskCategory.CannotGetPregnant, true },
    };

    [Theory]
    [MemberData(nameof(NeutralCases))]
    public void Derive_GenderNeutral_OnlyTwoCategories(Sex sex, LocalDate dob, bool menses, bool menopause, bool hysterectomy, RiskCategory expected, bool minor)
    {
        var result = Derive(sex, dob, menses, menopause, hysterectomy, false, CategoryScheme.GenderNeutral);
        result.Decision.IsAllowed.ShouldBeTrue();
        result.Category.ShouldBe(expected);
        result.IsMinor.ShouldBe(minor);
        result.Decision.Codes().ShouldContain("REMS.CATEGORY_SCHEME_NEUTRAL");
    }

    [Fact]
    public void Derive_GenderNeutral_NeverGivesASexAndAgeCategory()
    {
        var categories = new HashSet<RiskCategory?>();
        foreach (var sex in new[] { Sex.Female, Sex.Male })
        {
            foreach (var dob in new[] { Adult, EighteenTomorrow })
            {
                for (var bits = 0; bits < 8; bits++)
                {
                    var r = Derive(sex, dob, (bits & 1) != 0, false, (bits & 2) != 0, (bits & 4) != 0, CategoryScheme.GenderNeutral);
                    categories.Add(r.Category);
                }
            }
        }

        categories.ShouldBe([RiskCategory.CanGetPregnant, RiskCategory.CannotGetPregnant], ignoreOrder: true);
    }

    [Fact]
    public void Derive_BmsCatalogAgeOfMajority_Is18()
    {
        foreach (var p in new[] { ProgramCatalog.Lenalidomide, ProgramCatalog.Pomalidomide, ProgramCatalog.Thalidomide })
        {
            p.AdultAgeYears.Value.ShouldBe(18);
            p.Categories.Value.ShouldBe(CategoryScheme.SexAndAge);
        }

        ProgramCatalog.IPledgeStyle.Categories.Value.ShouldBe(CategoryScheme.GenderNeutral);
    }

    [Fact]
    public void CategoryHelpers_Classify()
    {
        RiskCategory.FemaleChildCanGetPregnant.CanGetPregnant().ShouldBeTrue();
        RiskCategory.CanGetPregnant.CanGetPregnant().ShouldBeTrue();
        RiskCategory.AdultFemaleCannotGetPregnant.CanGetPregnant().ShouldBeFalse();
        RiskCategory.MaleChild.IsChild().ShouldBeTrue();
        RiskCategory.MaleChild.IsMale().ShouldBeTrue();
        RiskCategory.CannotGetPregnant.IsMale().ShouldBeFalse();
    }
}
