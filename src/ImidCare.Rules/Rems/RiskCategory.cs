using NodaTime;

namespace ImidCare.Rules.Rems;

/// <summary>
/// Patient risk categories. The BMS programs use six sex-and-age categories; the iPLEDGE-style
/// scheme uses two gender-neutral ones. A category is always derived from facts, never typed in.
/// </summary>
public enum RiskCategory
{
    AdultFemaleCanGetPregnant,
    AdultFemaleCannotGetPregnant,
    FemaleChildCanGetPregnant,
    FemaleChildCannotGetPregnant,
    AdultMale,
    MaleChild,
    CanGetPregnant,
    CannotGetPregnant,
}

public enum CategoryScheme
{
    /// <summary>Six categories by sex, age (adult/child) and reproductive potential (BMS programs).</summary>
    SexAndAge,

    /// <summary>Two categories by reproductive potential only (iPLEDGE since 12/13/2021).</summary>
    GenderNeutral,
}

public enum Sex
{
    Female,
    Male,
}

public static class RiskCategories
{
    public static bool CanGetPregnant(this RiskCategory c) =>
        c is RiskCategory.AdultFemaleCanGetPregnant or RiskCategory.FemaleChildCanGetPregnant or RiskCategory.CanGetPregnant;

    public static bool IsChild(this RiskCategory c) => c is RiskCategory.FemaleChildCanGetPregnant
        or RiskCategory.FemaleChildCannotGetPregnant or RiskCategory.MaleChild;

    public static bool IsMale(this RiskCategory c) => c is RiskCategory.AdultMale or RiskCategory.MaleChild;
}

/// <summary>
/// What the prescriber attests about the patient at enrollment. Reproductive facts are asked of
/// every patient with a uterus or ovaries (female sex at birth); for others they must be left false.
/// </summary>
public sealed record ReproductiveFacts(
    Sex Sex,
    LocalDate DateOfBirth,
    bool MensesInLast24Months,
    bool NaturalMenopauseAtLeast24Months,
    bool Hysterectomy,
    bool BilateralOophorectomy);

public sealed record CategoryResult(RiskCategory? Category, bool IsMinor, Decision Decision);

public static class RiskCategoryRules
{
    private static readonly RuleSource FrpDefinition = RuleSource.Verified(
        "REVLIMID PI §5.1 / 8.3: menses at some time in the preceding 24 consecutive months = can get pregnant; infertility does not exempt", "S");

    private static readonly RuleSource CannotDefinition = RuleSource.Verified(
        "REVLIMID REMS Education and Counseling Checklist for Pharmacies: natural menopause ≥ 24 consecutive months, hysterectomy and/or bilateral oophorectomy", "S");

    private static readonly RuleSource AgeRule = RuleSource.Verified(
        "THALOMID REMS (REMS@FDA 06/27/2017): adult = 18 years and older; a guardian signs for a child", "S");

    private static readonly RuleSource NeutralRule = RuleSource.Verified(
        "iPLEDGE REMS modification effective 12/13/2021: two categories, patients who can / cannot get pregnant", "S");

    /// <summary>Derives the category on <paramref name="onDate"/> (the enrollment or re-evaluation date).</summary>
    public static CategoryResult Derive(ReproductiveFacts facts, CategoryScheme scheme, int adultAgeYears, LocalDate onDate)
    {
        if (facts.DateOfBirth > onDate)
        {
            return new(null, false, Decision.Deny(new Reason("REMS.DOB_IN_FUTURE", "The date of birth is after today.", AgeRule)));
        }

        if (facts.MensesInLast24Months && facts.NaturalMenopauseAtLeast24Months)
        {
            return new(null, false, Decision.Deny(new Reason(
                "REMS.FACTS_CONTRADICT",
                "Menses in the last 24 months and natural menopause for at least 24 months cannot both be true.",
                FrpDefinition)));
        }

        var reproductiveFactGiven = facts.MensesInLast24Months || facts.NaturalMenopauseAtLeast24Months
            || facts.Hysterectomy || facts.BilateralOophorectomy;
        if (facts.Sex == Sex.Male && reproductiveFactGiven && scheme == CategoryScheme.SexAndAge)
        {
            return new(null, false, Decision.Deny(new Reason(
                "REMS.FACTS_CONTRADICT", "Menstrual and gynecological facts apply only to female patients in this program.", FrpDefinition)));
        }

        var age = Period.Between(facts.DateOfBirth, onDate, PeriodUnits.Years).Years;
        var adult = age >= adultAgeYears;

        // Surgery or natural menopause rules out pregnancy whatever else is said; otherwise any menses
        // in the last 24 months means the patient can get pregnant, history of infertility notwithstanding.
        var canGetPregnant = facts.MensesInLast24Months && !facts.Hysterectomy && !facts.BilateralOophorectomy;
        var why = canGetPregnant
            ? new Reason("REMS.CATEGORY_CAN_GET_PREGNANT", "Menses in the last 24 consecutive months, with no hysterectomy or bilateral oophorectomy.", FrpDefinition)
            : new Reason("REMS.CATEGORY_CANNOT_GET_PREGNANT", CannotWhy(facts), CannotDefinition);

        RiskCategory category = scheme switch
        {
            CategoryScheme.GenderNeutral => canGetPregnant ? RiskCategory.CanGetPregnant : RiskCategory.CannotGetPregnant,
            _ when facts.Sex == Sex.Male => adult ? RiskCategory.AdultMale : RiskCategory.MaleChild,
            _ when canGetPregnant => adult ? RiskCategory.AdultFemaleCanGetPregnant : RiskCategory.FemaleChildCanGetPregnant,
            _ => adult ? RiskCategory.AdultFemaleCannotGetPregnant : RiskCategory.FemaleChildCannotGetPregnant,
        };

        var reasons = new List<Reason>();
        if (scheme == CategoryScheme.GenderNeutral)
        {
            reasons.Add(new Reason("REMS.CATEGORY_SCHEME_NEUTRAL", "This program uses two gender-neutral categories.", NeutralRule));
        }

        if (facts.Sex == Sex.Male && scheme == CategoryScheme.SexAndAge)
        {
            reasons.Add(new Reason("REMS.CATEGORY_MALE", "Male patient.", AgeRule));
        }
        else
        {
            reasons.Add(why);
        }

        reasons.Add(new Reason(
            adult ? "REMS.CATEGORY_ADULT" : "REMS.CATEGORY_CHILD",
            adult ? $"Age {age}: adult." : $"Age {age}: child; a parent or guardian must sign the agreement.",
            AgeRule));
        return new(category, !adult, Decision.Allow([.. reasons]));
    }

    private static string CannotWhy(ReproductiveFacts f)
    {
        if (f.Hysterectomy)
        {
            return "Hysterectomy.";
        }

        if (f.BilateralOophorectomy)
        {
            return "Bilateral oophorectomy.";
        }

        return f.NaturalMenopauseAtLeast24Months
            ? "Natural menopause for at least 24 consecutive months."
            : "No menses in the last 24 consecutive months.";
    }
}
