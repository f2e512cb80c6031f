using ImidCare.Rules.Calendar;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Calendar;

public class DoseDiaryTests
{
    private static readonly LocalDate D = new(2026, 2, 1);

    [Fact]
    public void Reconciles_WhenCountMatches()
    {
        var entries = Enumerable.Range(0, 21).Select(i => new DiaryEntry(D.PlusDays(i), i == 3 ? DiaryStatus.Missed : i == 4 ? DiaryStatus.Skipped : DiaryStatus.Taken));
        var s = DoseDiary.Summarize(entries, [new Dispensing(D, 21)], countedRemaining: 2);
        s.CapsulesTaken.ShouldBe(19);
        s.DosesMissed.ShouldBe(1);
        s.DosesSkipped.ShouldBe(1);
        s.ExpectedRemaining.ShouldBe(2);
        s.Discrepancy.ShouldBe(0);
        s.Decision.IsAllowed.ShouldBeTrue();
    }

    [Theory]
    [InlineData(1, -1, "DIARY_COUNT_MISMATCH")]
    [InlineData(3, 1, "DIARY_COUNT_MISMATCH")]
    public void CountMismatch_IsReported(int counted, int discrepancy, string code)
    {
        var s = DoseDiary.Summarize([new DiaryEntry(D, DiaryStatus.Taken)], [new Dispensing(D, 3)], counted);
        s.Discrepancy.ShouldBe(discrepancy);
        s.Decision.Outcome.ShouldBe(Outcome.Hold);
        s.Decision.Reasons.ShouldContain(r => r.Code == code);
    }

    [Fact]
    public void TwoDosesOnOneDay_AndMoreTakenThanDispensed_AreFlagged()
    {
        var s = DoseDiary.Summarize([new DiaryEntry(D, DiaryStatus.Taken), new DiaryEntry(D, DiaryStatus.Taken)], [new Dispensing(D, 1)]);
        s.DaysWithMoreThanOneDose.ShouldBe([D]);
        s.Decision.Reasons.Select(r => r.Code).ShouldBe(["DIARY_MORE_TAKEN_THAN_DISPENSED", "DIARY_DOUBLE_DOSE"], ignoreOrder: true);
    }

    [Fact]
    public void NegativeCounts_AreArgumentExceptions()
    {
        Should.Throw<ArgumentException>(() => DoseDiary.Summarize([], [new Dispensing(D, -1)]));
        Should.Throw<ArgumentException>(() => DoseDiary.Summarize([], [], -1));
    }
}
