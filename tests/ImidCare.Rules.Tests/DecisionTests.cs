using ImidCare.Rules;
using Shouldly;

namespace ImidCare.Rules.Tests;

public class DecisionTests
{
    private static readonly RuleSource Src = RuleSource.Verified("test", "S");

    [Fact]
    public void Combine_AnyDenialDenies_AndKeepsOnlyFailingReasons()
    {
        var ok = Decision.Allow(new Reason("A", "fine", Src));
        var hold = Decision.HoldFor(new Reason("B", "hold", Src));
        var deny = Decision.Deny(new Reason("C", "no", RuleSource.UnverifiedRule("t", "T")));

        var d = Decision.Combine([ok, hold, deny]);

        d.Outcome.ShouldBe(Outcome.Denied);
        d.Reasons.Select(r => r.Code).ShouldBe(["B", "C"]);
        d.UsesUnverifiedRules.ShouldBeTrue();
    }

    [Fact]
    public void Combine_HoldWithoutDenial_Holds()
    {
        var d = Decision.Combine([Decision.Allow(), Decision.HoldFor(new Reason("B", "hold", Src))]);
        d.Outcome.ShouldBe(Outcome.Hold);
    }

    [Fact]
    public void Combine_AllAllowed_KeepsCheckedRules()
    {
        var d = Decision.Combine([Decision.Allow(new Reason("A", "a", Src)), Decision.Allow(new Reason("B", "b", Src))]);
        d.IsAllowed.ShouldBeTrue();
        d.Reasons.Length.ShouldBe(2);
        d.UsesUnverifiedRules.ShouldBeFalse();
    }

    [Fact]
    public void ABuilder_BuildsOnce_AndTheNextBuilderOnTheThread_StartsEmpty()
    {
        var first = new DecisionBuilder().Pass(new Reason("A", "a", Src)).Pass(new Reason("B", "b", Src));
        var built = first.Build(new Reason("V", "valid", Src));
        built.Reasons.Select(r => r.Code).ShouldBe(["A", "B", "V"]);
        Should.Throw<ObjectDisposedException>(() => first.Build());

        // The scratch array went back to the thread: the next builder must not see A or B.
        var next = new DecisionBuilder().Pass(new Reason("C", "c", Src)).Build();
        next.Reasons.Select(r => r.Code).ShouldBe(["C"]);
        built.Reasons.Select(r => r.Code).ShouldBe(["A", "B", "V"]);
    }

    [Fact]
    public void NestedBuilders_DoNotShareTheirReasons()
    {
        var outer = new DecisionBuilder().Pass(new Reason("O", "outer", Src));
        var inner = new DecisionBuilder().Pass(new Reason("I", "inner", Src)).Build();
        outer.Pass(new Reason("P", "outer again", Src));
        outer.Build().Reasons.Select(r => r.Code).ShouldBe(["O", "P"]);
        inner.Reasons.Select(r => r.Code).ShouldBe(["I"]);
    }
}
