using ImidCare.Rules.Therapy;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class LadderAndNonHemTests
{
    public static IEnumerable<object[]> LadderIds => DoseLadders.All.Select(l => new object[] { l.Id });

    public static IEnumerable<object[]> NonHemIds => NonHematologicRules.All.Select(r => new object[] { r.Id });

    [Theory]
    [MemberData(nameof(LadderIds))]
    public void Ladder_WalksEveryLevelInOrder_ThenFloor(string id)
    {
        var ladder = DoseLadders.All.Single(l => l.Id == id);
        ladder.Levels.Select(l => l.Intensity).ShouldBeInOrder(SortDirection.Descending);
        for (var i = 0; i < ladder.Levels.Length - 1; i++)
        {
            ladder.NextLower(ladder.Levels[i].Mg, ladder.Levels[i].DayTo).ShouldBe(ladder.Levels[i + 1]);
        }

        ladder.NextLower(ladder.FloorLevel.Mg, ladder.FloorLevel.DayTo).ShouldBeNull();
    }

    [Fact]
    public void LadderFlags_FollowTheAddendum()
    {
        DoseLadders.For(Drug.Pomalidomide, Indication.MultipleMyeloma)!.Source.Unverified.ShouldBeFalse();
        DoseLadders.For(Drug.Lenalidomide, Indication.MultipleMyeloma)!.Source.Unverified.ShouldBeTrue();
        DoseLadders.For(Drug.Lenalidomide, Indication.MultipleMyeloma)!.Levels.Select(l => l.Mg).ShouldBe([25m, 20m, 15m, 10m, 5m, 2.5m]);
        DoseLadders.For(Drug.Lenalidomide, Indication.MultipleMyelomaMaintenance)!.FloorLevel.ShouldBe(new DoseLevel(5m, 1, 21));
        DoseLadders.For(Drug.Thalidomide, Indication.MultipleMyeloma).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(NonHemIds))]
    public void NonHemRow_FiresFromMinGrade_NotBelow(string id)
    {
        var r = NonHematologicRules.All.Single(x => x.Id == id);
        var indication = r.OnlyFor.IsEmpty ? Indication.MultipleMyeloma : r.OnlyFor[0];
        var dose = DoseLadders.For(r.Drug, indication)?.Levels[0].Mg ?? 20m;
        var at = NonHematologicModification.Evaluate(new AdverseEventCheck(r.Drug, indication, dose, r.Event, r.MinGrade));
        var expected = r.Action switch
        {
            NonHemAction.DiscontinuePermanently => DoseAction.Discontinue,
            NonHemAction.Hold => DoseAction.Hold,
            NonHemAction.ConsiderHoldOrDiscontinue => DoseAction.ReferToPrescriber,
            _ => DoseAction.Continue,
        };
        at.Action.ShouldBe(expected);
        at.Decision.UsesUnverifiedRules.ShouldBe(r.Source.Unverified);
        at.Decision.Reasons.ShouldContain(x => x.Source == r.Source);

        if (r.MinGrade > 1)
        {
            var below = NonHematologicModification.Evaluate(new AdverseEventCheck(r.Drug, indication, dose, r.Event, r.MinGrade - 1));
            below.Decision.Reasons.ShouldNotContain(x => x.Code.EndsWith(r.Id.ToUpperInvariant().Replace('-', '_'), StringComparison.Ordinal));
        }

        if (r.Action == NonHemAction.Hold && r.ResumeWhenGradeAtMost is { } g)
        {
            NonHematologicModification.Evaluate(new AdverseEventCheck(r.Drug, indication, dose, r.Event, r.MinGrade, g + 1)).Action.ShouldBe(DoseAction.Hold);
            NonHematologicModification.Evaluate(new AdverseEventCheck(r.Drug, indication, dose, r.Event, r.MinGrade, g)).Action.ShouldBe(DoseAction.Resume);
        }
    }

    [Fact]
    public void Pomalidomide_OtherGrade3_ResolvedToGrade2_RestartsAt1MgLess()
    {
        var d = NonHematologicModification.Evaluate(new AdverseEventCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, AdverseEvent.Other, 3, 2));
        d.Action.ShouldBe(DoseAction.Resume);
        d.DoseMg.ShouldBe(3m);
    }

    [Theory]
    [InlineData(AdverseEvent.Angioedema, 1)]
    [InlineData(AdverseEvent.Anaphylaxis, 3)]
    [InlineData(AdverseEvent.Rash, 4)]
    [InlineData(AdverseEvent.SkinExfoliation, 2)]
    [InlineData(AdverseEvent.Bullae, 2)]
    public void Pomalidomide_PermanentStops(AdverseEvent e, int grade)
    {
        var d = NonHematologicModification.Evaluate(new AdverseEventCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, e, grade));
        d.Action.ShouldBe(DoseAction.Discontinue);
        d.Decision.Outcome.ShouldBe(Outcome.Denied);
        d.UsesUnverifiedRules.ShouldBeFalse();
    }

    [Fact]
    public void Rash_Grade3_IsNotAPermanentStop()
    {
        NonHematologicModification.Evaluate(new AdverseEventCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, AdverseEvent.Rash, 3)).Action.ShouldBe(DoseAction.ReferToPrescriber);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void BadGrade_IsArgumentException(int grade) =>
        Should.Throw<ArgumentException>(() => NonHematologicModification.Evaluate(new AdverseEventCheck(Drug.Pomalidomide, Indication.MultipleMyeloma, 4m, AdverseEvent.Other, grade)));
}
