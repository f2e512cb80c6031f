using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class TriageAndEligibilityTests
{
    public static IEnumerable<object[]> SymptomIds => SymptomTriage.All.Select(r => new object[] { r.Id });

    [Theory]
    [MemberData(nameof(SymptomIds))]
    public void EverySymptomRow_ById_GivesItsLevel_AndEveryKeywordFindsIt(string id)
    {
        var row = SymptomTriage.All.Single(r => r.Id == id);
        var byId = SymptomTriage.Triage(row.Drug, [id.ToUpperInvariant()]);
        byId.Level.ShouldBe(row.Level);
        byId.PatientMessage.ShouldBe(row.PatientAdvice);
        byId.UsesUnverifiedRules.ShouldBe(row.Source.Unverified);
        foreach (var k in row.Keywords)
        {
            SymptomTriage.Triage(row.Drug, freeText: $"Since yesterday I have {k.ToUpperInvariant()}.").Matches.ShouldContain(m => m.RuleId == id);
        }
    }

    [Fact]
    public void FreeText_MostUrgentWins()
    {
        var r = SymptomTriage.Triage(Drug.Pomalidomide, freeText: "I have a rash and my throat swelling makes it hard; trouble breathing");
        r.Level.ShouldBe(ActionLevel.EmergencyNow);
        r.Matches[0].Level.ShouldBe(ActionLevel.EmergencyNow);
        r.Decision.Outcome.ShouldBe(Outcome.Denied);
    }

    [Fact]
    public void NerveSymptoms_Pomalidomide_StopAndCall()
    {
        SymptomTriage.Triage(Drug.Pomalidomide, freeText: "tingling in my feet").Level.ShouldBe(ActionLevel.StopAndCall);
    }

    [Fact]
    public void Lenalidomide_Pregnancy_StopAndCall_IsUnverified_TheOnlyTextIsA2015Copy_AddendumF_Partial()
    {
        var r = SymptomTriage.Triage(Drug.Lenalidomide, ["len-pregnancy"]);
        r.Level.ShouldBe(ActionLevel.StopAndCall);
        r.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void Lenalidomide_TumorLysisSigns_CallYourProvider_Unverified()
    {
        // clinical-rules §5.2: "Tumor lysis syndrome; tumor flare ... CALL-NOW [K]".
        var r = SymptomTriage.Triage(Drug.Lenalidomide, freeText: "I have muscle cramps and I pass less urine");
        r.Level.ShouldBe(ActionLevel.CallYourProvider);
        r.Matches.ShouldContain(m => m.RuleId == "len-tls");
        r.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void Unmatched_ReturnsNoLevel_AndReportsUnknownIds()
    {
        var r = SymptomTriage.Triage(Drug.Lenalidomide, ["nope"], "I feel fine");
        r.Level.ShouldBeNull();
        r.UnknownSymptomIds.ShouldBe(["nope"]);
    }

    private static readonly LocalDate Done = new(2026, 1, 1);

    [Theory]
    [InlineData(60, true)]
    [InlineData(61, false)]
    public void Pomalyst_ProgressionWindow_60Days(int days, bool eligible)
    {
        var d = PomalystEligibility.Check(new MyelomaHistory(65, 2, true, true, false, Done, Done.PlusDays(days)));
        d.IsAllowed.ShouldBe(eligible);
        if (!eligible)
        {
            d.Reasons.Single().Code.ShouldBe("NOT_PROGRESSION");
        }
    }

    [Fact]
    public void Pomalyst_ListsEveryMissingCriterionAtOnce()
    {
        var d = PomalystEligibility.Check(new MyelomaHistory(17, 1, false, false, false, null, null));
        d.Outcome.ShouldBe(Outcome.Denied);
        d.Reasons.Select(r => r.Code).ShouldBe(["NOT_ADULT", "NOT_PRIOR_THERAPIES", "NOT_PRIOR_LENALIDOMIDE", "NOT_PRIOR_PROTEASOME_INHIBITOR", "NOT_PROGRESSION"], ignoreOrder: true);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Pomalyst_AtLeastTwoPriorTherapies(int prior, bool ok) =>
        PomalystEligibility.Check(new MyelomaHistory(65, prior, true, true, true, null, null)).IsAllowed.ShouldBe(ok);

    [Fact]
    public void Pomalyst_ProgressionBeforeCompletion_IsArgumentException() =>
        Should.Throw<ArgumentException>(() => PomalystEligibility.Check(new MyelomaHistory(65, 3, true, true, false, Done, Done.PlusDays(-1))));
}
