using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using NodaTime;
using NodaTime.Text;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class SurveyRulesTests
{
    private static readonly PatientSurveyAnswers NoRisk = new(false, false, false, false, false, false);

    private static LocalDate D(string iso) => LocalDatePattern.Iso.Parse(iso).Value;

    [Fact]
    public void Evaluate_NoRisk_Allowed()
    {
        var e = SurveyRules.Evaluate(NoRisk, RiskCategory.AdultFemaleCanGetPregnant);
        e.Decision.Outcome.ShouldBe(Outcome.Allowed);
        e.Holds.ShouldBeEmpty();
    }

    public static IEnumerable<object[]> RiskAnswerCases()
    {
        // answer, category, hold code, what clears it
        object[] Row(Func<PatientSurveyAnswers, PatientSurveyAnswers> answer, RiskCategory c, string code, params HoldClearance[] clearedBy) =>
            [answer(NoRisk), c, code, clearedBy];

        const RiskCategory frp = RiskCategory.AdultFemaleCanGetPregnant;
        const RiskCategory male = RiskCategory.AdultMale;
        const RiskCategory cannot = RiskCategory.AdultFemaleCannotGetPregnant;
        yield return Row(a => a with { SharedCapsules = true }, frp, "SHARED_CAPSULES", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { SharedCapsules = true }, male, "SHARED_CAPSULES", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { DonatedBlood = true }, cannot, "DONATION", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { DonatedSperm = true }, male, "DONATION", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { MissedContraception = true }, frp, "CONTRACEPTION_LAPSE", HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { MissedContraception = true }, RiskCategory.FemaleChildCanGetPregnant, "CONTRACEPTION_LAPSE", HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { MissedContraception = true }, male, "CONTRACEPTION_LAPSE", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { UnprotectedContact = true }, frp, "CONTRACEPTION_LAPSE", HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { UnprotectedContact = true }, RiskCategory.CanGetPregnant, "CONTRACEPTION_LAPSE", HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { UnprotectedContact = true }, male, "CONTRACEPTION_LAPSE", HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { PossiblePregnancy = true }, frp, "POSSIBLE_PREGNANCY", HoldClearance.NegativePregnancyTestAfterHold, HoldClearance.PrescriberCounseling);
        yield return Row(a => a with { PossiblePregnancy = true }, male, "POSSIBLE_PREGNANCY", HoldClearance.SafetyReview, HoldClearance.PrescriberCounseling); // a partner's pregnancy
        yield return Row(a => a with { PossiblePregnancy = true }, RiskCategory.MaleChild, "POSSIBLE_PREGNANCY", HoldClearance.SafetyReview, HoldClearance.PrescriberCounseling);
    }

    [Theory]
    [MemberData(nameof(RiskAnswerCases))]
    public void Evaluate_EachRiskAnswer_HoldsWithItsClearance(PatientSurveyAnswers answers, RiskCategory category, string code, HoldClearance[] clearedBy)
    {
        var e = SurveyRules.Evaluate(answers, category);
        e.Decision.Outcome.ShouldBe(Outcome.Hold);
        var hold = e.Holds.ShouldHaveSingleItem();
        hold.Code.ShouldBe(code);
        hold.ClearedBy.ShouldBe(clearedBy, ignoreOrder: true);
        e.Decision.Codes().ShouldBe([$"REMS.HOLD_{code}", "REMS.SURVEY_HOLD"]);
        e.Decision.Reasons[0].Message.ShouldContain("Cleared by:");
        e.Decision.UsesUnverifiedRules.ShouldBeTrue(); // hold semantics are an inference (facts Q2)
    }

    [Fact]
    public void Evaluate_EveryRiskAnswer_EachHoldListedOnce()
    {
        var all = new PatientSurveyAnswers(true, true, true, true, true, true);
        var e = SurveyRules.Evaluate(all, RiskCategory.AdultFemaleCanGetPregnant);
        e.Holds.Select(h => h.Code).ShouldBe(["POSSIBLE_PREGNANCY", "CONTRACEPTION_LAPSE", "SHARED_CAPSULES", "DONATION"], ignoreOrder: true);
        e.Decision.Reasons.Count(r => r.Code == "REMS.SURVEY_HOLD").ShouldBe(1);
    }

    // program, category, last survey, today → allowed
    public static TheoryData<string, RiskCategory, string?, string, bool> CadenceCases => new()
    {
        { "LEN", RiskCategory.AdultFemaleCanGetPregnant, "2026-05-15", "2026-06-15", true }, // exactly one month before
        { "LEN", RiskCategory.AdultFemaleCanGetPregnant, "2026-05-14", "2026-06-15", false }, // one day older
        { "POM", RiskCategory.AdultMale, "2026-05-15", "2026-06-15", true },
        { "POM", RiskCategory.AdultMale, "2026-05-14", "2026-06-15", false },
        { "THAL", RiskCategory.FemaleChildCannotGetPregnant, "2026-05-14", "2026-06-15", false }, // a girl who cannot get pregnant: monthly
        { "THAL", RiskCategory.MaleChild, "2026-06-15", "2026-06-15", true }, // taken today
        { "LEN", RiskCategory.AdultMale, "2026-02-28", "2026-03-31", true }, // one month before 31 March is 28 February
        { "LEN", RiskCategory.AdultMale, "2026-02-27", "2026-03-31", false },
        { "LEN", RiskCategory.AdultFemaleCannotGetPregnant, "2025-12-15", "2026-06-15", true }, // six months
        { "LEN", RiskCategory.AdultFemaleCannotGetPregnant, "2025-12-14", "2026-06-15", false },
        { "LEN", RiskCategory.AdultFemaleCanGetPregnant, null, "2026-06-15", false }, // never taken
        { "LEN", RiskCategory.AdultFemaleCanGetPregnant, "2026-06-16", "2026-06-15", false }, // dated in the future
        { "IPLEDGE", RiskCategory.CanGetPregnant, "2026-05-14", "2026-06-15", false },
        { "IPLEDGE", RiskCategory.CannotGetPregnant, null, "2026-06-15", true }, // no questions for this category
    };

    [Theory]
    [MemberData(nameof(CadenceCases))]
    public void PatientSurveyCurrent_Cadence(string program, RiskCategory category, string? last, string today, bool allowed)
    {
        var d = SurveyRules.PatientSurveyCurrent(ProgramCatalog.Find(program)!, category, false, last is null ? null : D(last), D(today));
        d.IsAllowed.ShouldBe(allowed);
        if (!allowed)
        {
            d.Codes().ShouldBe(["REMS.SURVEY_DUE"]);
        }
    }

    [Theory]
    [InlineData("LEN")]
    [InlineData("POM")]
    [InlineData("THAL")]
    public void PatientSurveyCurrent_BmsFirstPrescription_NoSurvey(string program) =>
        SurveyRules.PatientSurveyCurrent(ProgramCatalog.Find(program)!, RiskCategory.AdultFemaleCanGetPregnant, true, null, D("2026-06-15"))
            .Codes().ShouldBe(["REMS.SURVEY_NOT_NEEDED_FIRST_RX"]);

    // facts §6.1 and §13.1: "no survey for the first prescription" is stated only for males, on
    // pomalyst.com (P2, [S]); for the other categories, and for lenalidomide and THALOMID, it is
    // carried over by inference ([I]), and the reason must say so.
    [Theory]
    [InlineData("POM", RiskCategory.AdultMale, false)]
    [InlineData("POM", RiskCategory.MaleChild, false)]
    [InlineData("POM", RiskCategory.AdultFemaleCanGetPregnant, true)]
    [InlineData("POM", RiskCategory.AdultFemaleCannotGetPregnant, true)]
    [InlineData("POM", RiskCategory.FemaleChildCannotGetPregnant, true)]
    [InlineData("THAL", RiskCategory.AdultMale, true)]
    [InlineData("THAL", RiskCategory.AdultFemaleCanGetPregnant, true)]
    [InlineData("LEN", RiskCategory.AdultMale, true)]
    [InlineData("LEN", RiskCategory.MaleChild, true)]
    public void PatientSurveyCurrent_NoSurveyForFirstPrescription_VerifiedOnlyWhereStated(string program, RiskCategory category, bool unverified)
    {
        var d = SurveyRules.PatientSurveyCurrent(ProgramCatalog.Find(program)!, category, true, null, D("2026-06-15"));
        d.IsAllowed.ShouldBeTrue();
        var reason = d.Reasons.ShouldHaveSingleItem();
        reason.Code.ShouldBe("REMS.SURVEY_NOT_NEEDED_FIRST_RX");
        reason.Unverified.ShouldBe(unverified);
        reason.Source.Evidence.ShouldBe(unverified ? "I" : "S");
    }

    [Fact]
    public void PatientSurveyCurrent_IPledgeFirstPrescription_SurveyNeeded() =>
        SurveyRules.PatientSurveyCurrent(ProgramCatalog.IPledgeStyle, RiskCategory.CanGetPregnant, true, null, D("2026-06-15"))
            .Codes().ShouldBe(["REMS.SURVEY_DUE"]);

    [Fact]
    public void PatientSurveyCurrent_LenalidomideCadence_IsUnverified()
    {
        var len = SurveyRules.PatientSurveyCurrent(ProgramCatalog.Lenalidomide, RiskCategory.AdultMale, false, null, D("2026-06-15"));
        len.UsesUnverifiedRules.ShouldBeTrue(); // inferred from the THALOMID/POMALYST schedule
        var thal = SurveyRules.PatientSurveyCurrent(ProgramCatalog.Thalidomide, RiskCategory.AdultMale, false, null, D("2026-06-15"));
        thal.UsesUnverifiedRules.ShouldBeFalse();
    }
}
