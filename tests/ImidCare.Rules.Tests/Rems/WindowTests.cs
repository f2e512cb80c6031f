using ImidCare.Rules.Rems;
using NodaTime;
using NodaTime.Text;
using Shouldly;

namespace ImidCare.Rules.Tests.Rems;

public class WindowTests
{
    private static Instant Utc(string text) => InstantPattern.General.Parse(text).Value;

    [Fact]
    public void DayWindow_From_DayOneIsTheAnchor_BothEndsInclusive()
    {
        var d = Ny.Date(2026, 6, 10);
        var interval = new DayWindow(7).From(d);
        interval.Start.ShouldBe(d);
        interval.End.ShouldBe(d.PlusDays(6));
        interval.Length.ShouldBe(7);
        new DayWindow(7).LastDay(d).ShouldBe(d.PlusDays(6));
        new DayWindow(30).LastDay(d).ShouldBe(d.PlusDays(29));
        new DayWindow(1).LastDay(d).ShouldBe(d);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-7)]
    public void DayWindow_NotPositive_Throws(int days) => Should.Throw<ArgumentOutOfRangeException>(() => new DayWindow(days));

    public static TheoryData<string, string> ClosesAtCases => new()
    {
        { "2026-06-10", "2026-06-17T04:00:00Z" }, // summer: midnight EDT is 04:00 UTC
        { "2026-10-25", "2026-11-01T04:00:00Z" }, // closes at the start of 1 Nov, still EDT (the change is at 2 am)
        { "2026-10-26", "2026-11-02T05:00:00Z" }, // the window spans the fall-back change: closes at midnight EST
        { "2026-03-01", "2026-03-08T05:00:00Z" }, // closes at the start of 8 Mar, still EST
        { "2026-03-02", "2026-03-09T04:00:00Z" }, // the window spans the spring-forward change: closes at midnight EDT
    };

    [Theory]
    [MemberData(nameof(ClosesAtCases))]
    public void DayWindow_ClosesAt_StartOfDayAfterLastDay_InNewYork(string dayOne, string closesUtc)
    {
        var d = LocalDatePattern.Iso.Parse(dayOne).Value;
        new DayWindow(7).ClosesAt(d, Ny.Zone).ShouldBe(Utc(closesUtc));
    }

    public static TheoryData<string, string> TodayCases => new()
    {
        { "2026-11-01T03:59:59Z", "2026-10-31" }, // 23:59:59 EDT
        { "2026-11-01T04:00:00Z", "2026-11-01" }, // 00:00 EDT
        { "2026-11-02T04:59:59Z", "2026-11-01" }, // 23:59:59 EST, the 25-hour day
        { "2026-11-02T05:00:00Z", "2026-11-02" },
        { "2026-03-08T04:59:59Z", "2026-03-07" },
        { "2026-03-08T05:00:00Z", "2026-03-08" }, // 00:00 EST
        { "2026-03-09T03:59:59Z", "2026-03-08" }, // 23:59:59 EDT, the 23-hour day
        { "2026-03-09T04:00:00Z", "2026-03-09" },
    };

    [Theory]
    [MemberData(nameof(TodayCases))]
    public void ProgramTime_Today_IsTheNewYorkDate(string instant, string date) =>
        ProgramTime.Today(Utc(instant), Ny.Zone).ShouldBe(LocalDatePattern.Iso.Parse(date).Value);

    [Fact]
    public void DayWindow_ClosesAt_LastTickIsStillOnTheLastDay()
    {
        var d = Ny.Date(2026, 10, 26);
        var window = new DayWindow(7);
        var closes = window.ClosesAt(d, Ny.Zone);
        ProgramTime.Today(closes - Ny.Tick, Ny.Zone).ShouldBe(window.LastDay(d));
        ProgramTime.Today(closes, Ny.Zone).ShouldBe(window.LastDay(d).PlusDays(1));
    }
}
