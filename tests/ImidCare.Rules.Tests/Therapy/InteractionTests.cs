using ImidCare.Rules.Therapy;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class InteractionTests
{
    public static IEnumerable<object[]> NameCases =>
        Interactions.All.SelectMany(r => r.Names.Select(n => new object[] { r.Id, n }));

    public static IEnumerable<object[]> CodeCases =>
        Interactions.All.SelectMany(r => r.RxNormCodes.Select(c => new object[] { r.Id, c }));

    [Theory]
    [MemberData(nameof(NameCases))]
    public void EveryName_MatchesItsRow_CaseInsensitive(string id, string name)
    {
        var rule = Interactions.All.Single(r => r.Id == id);
        var report = Interactions.Check(rule.Drug, [name.ToUpperInvariant() + " 10 mg tablet"]);
        report.Warnings.ShouldContain(w => w.RuleId == id);
        report.Decision.UsesUnverifiedRules.ShouldBe(report.Warnings.Any(w => w.Source.Unverified));
    }

    [Theory]
    [MemberData(nameof(CodeCases))]
    public void EveryRxNormCode_MatchesItsRow(string id, string code)
    {
        var rule = Interactions.All.Single(r => r.Id == id);
        Interactions.Check(rule.Drug, [code]).Warnings.ShouldContain(w => w.RuleId == id);
    }

    [Fact]
    public void Rifampin_WithThalidomide_WarnsThatHormonalContraceptionMayFail_Unverified()
    {
        // clinical-rules §4 [K]: drugs that reduce hormonal-contraceptive efficacy -> two other methods.
        var report = Interactions.Check(Drug.Thalidomide, ["Rifampin 300 mg capsule", "St John's Wort"]);
        report.Warnings.Where(w => w.RuleId == "thal-contraceptive-failure").Select(w => w.Medication).ShouldBe(["Rifampin 300 mg capsule", "St John's Wort"]);
        report.Warnings.ShouldAllBe(w => w.Source.Unverified);
        report.Warnings.First().Action.ShouldContain("two other effective or highly effective methods");
    }

    [Fact]
    public void Ciprofloxacin_WithPomalidomide_CapsAt2Mg_HoldsAndIsFlaggedUnverified()
    {
        var r = Interactions.Check(Drug.Pomalidomide, ["Cipro 500 mg", "atorvastatin"]);
        r.DoseCapMg.ShouldBe(2m);
        r.Decision.Outcome.ShouldBe(Outcome.Hold);
        r.UsesUnverifiedRules.ShouldBeTrue();
        r.Unrecognized.ShouldBe(["atorvastatin"]);
    }

    [Fact]
    public void Ciprofloxacin_WithLenalidomide_IsNotAnInteraction()
    {
        var r = Interactions.Check(Drug.Lenalidomide, ["ciprofloxacin"]);
        r.Warnings.ShouldBeEmpty();
        r.Unrecognized.ShouldBeEmpty();
        r.Decision.IsAllowed.ShouldBeTrue();
    }

    [Fact]
    public void Digoxin_Lenalidomide_IsMonitorAndUnverified_Thalidomide_IsBradycardiaCaution()
    {
        var len = Interactions.Check(Drug.Lenalidomide, ["Lanoxin"]);
        len.Warnings.Single().Severity.ShouldBe(InteractionSeverity.Monitor);
        len.UsesUnverifiedRules.ShouldBeTrue();
        Interactions.Check(Drug.Thalidomide, ["digoxin"]).Warnings.Single().RuleId.ShouldBe("thal-bradycardic");
    }

    [Fact]
    public void PartialWord_DoesNotMatch() =>
        Interactions.Check(Drug.Lenalidomide, ["estradiolx"]).Warnings.ShouldBeEmpty();

    [Fact]
    public void EmptyEntry_IsArgumentException() =>
        Should.Throw<ArgumentException>(() => Interactions.Check(Drug.Pomalidomide, ["  "]));
}
