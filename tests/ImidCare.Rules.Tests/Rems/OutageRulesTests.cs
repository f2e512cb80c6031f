using FsCheck;
using FsCheck.Fluent;
using ImidCare.Rules.Rems;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class OutageRulesTests
{
    private static readonly Instant T0 = Instant.FromUtc(2021, 12, 10, 12, 0);

    private static Instant H(int hours) => T0 + Duration.FromHours(hours);

    public static TheoryData<int, int, int, int, int> Rows => new()
    {
        // window start, window end, outage from, outage to, expected end (hours from T0)
        { 0, 24, 30, 40, 24 },   // outage after the window: no change
        { 0, 24, -10, -1, 24 },  // outage before the window: no change
        { 0, 24, 10, 20, 34 },   // wholly inside: +10
        { 0, 24, -5, 5, 29 },    // straddles the start: only the part inside counts (+5)
        { 0, 24, 20, 30, 34 },   // straddles the end: the clock stopped at hour 20 with 4 h left, restarting at 30
        { 0, 24, 24, 30, 24 },   // begins exactly as the window closes: the window had already closed
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Extend_ByTimeSpentInOutage(int start, int end, int from, int to, int expected) =>
        OutageRules.Extend(H(start), H(end), [new Outage(H(from), H(to), "t")]).ShouldBe(H(expected));

    [Fact]
    public void Extend_ChainsIntoALaterOutage()
    {
        // Dec 2021: down Fri 23:59 → Sun 23:59 ET; a 24 h confirmation from Fri noon loses 48 h, then meets a second 1 h outage.
        Outage[] outages = [new(H(12), H(60), "platform cut-over"), new(H(70), H(71), "second")];
        OutageRules.Extend(H(0), H(24), outages).ShouldBe(H(24 + 48 + 1));
    }

    [Fact]
    public void Extend_NeverShortens_NeverExceedsTheOutage_AndNoOutageIsIdentity()
    {
        var cases = Gen.Choose(0, 500).SelectMany(s => Gen.Choose(1, 500).SelectMany(len => Gen.Choose(-200, 800).SelectMany(from => Gen.Choose(0, 300).Select(olen => (s, len, from, olen)))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var end = OutageRules.Extend(H(c.s), H(c.s + c.len), [new Outage(H(c.from), H(c.from + c.olen), "p")]);
            return end >= H(c.s + c.len) && end <= H(c.s + c.len + c.olen) && OutageRules.Extend(H(c.s), H(c.s + c.len), []) == H(c.s + c.len);
        }).QuickCheckThrowOnFailure();
    }
}
