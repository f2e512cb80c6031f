using FsCheck;
using FsCheck.Fluent;
using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Calendar;

public class CycleCalendarTests
{
    private static readonly LocalDate Start = new(2026, 1, 5);

    private static TreatmentCalendar Pd(int cycles, params Hold[] holds) =>
        CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 70, Holds: [.. holds]), Start.PlusDays(28 * cycles - 1));

    [Fact]
    public void Pd_OneCycle_Has21DoseDays7RestDaysAndWeeklyDex()
    {
        var cal = Pd(1);
        cal.Days.Length.ShouldBe(28);
        cal.DoseDays.Count().ShouldBe(21);
        cal.DoseDays.Last().CycleDay.ShouldBe(21);
        cal.Days.Count(d => d.Kind == DayKind.Rest).ShouldBe(7);
        cal.Days.Where(d => d.Partners.Any(p => p.Agent == "dexamethasone")).Select(d => d.CycleDay).ShouldBe([1, 8, 15, 22]);
        cal.Days.First(d => d.CycleDay == 1).Partners.Single().Dose.ShouldStartWith("40 mg");
        cal.Days[28 - 1].Date.ShouldBe(Start.PlusDays(27));
    }

    [Theory]
    [InlineData(75, "40 mg")]
    [InlineData(76, "20 mg")]
    public void Pd_DexDoseSwitchesAbove75(int age, string expected)
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, age), Start);
        cal.Days[0].Partners.Single().Dose.ShouldStartWith(expected);
    }

    [Fact]
    public void MidCycleHold_LosesHeldDoses_AndNextCycleStartsOnTime()
    {
        var cal = Pd(2, new Hold(Start.PlusDays(9), Start.PlusDays(14), "ANC < 500", 3m));
        cal.Days.Where(d => d.Cycle == 1).Count(d => d.Kind == DayKind.Held).ShouldBe(5);
        cal.Days.Where(d => d.Cycle == 1).Count(d => d.Kind == DayKind.Dose).ShouldBe(16);
        cal.CycleStarts.ShouldBe([Start, Start.PlusDays(28)]);
        cal.DoseDays.First(d => d.Date == Start.PlusDays(14)).DoseMg.ShouldBe(3m);
        cal.DoseDays.First().DoseMg.ShouldBe(4m);
    }

    [Fact]
    public void HoldCoveringDay1_DelaysTheCycleToTheResumeDate()
    {
        var day1 = Start.PlusDays(28);
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 70, Holds: [new Hold(day1, day1.PlusDays(5), "Day-1 ANC 400")]), Start.PlusDays(28 * 3));
        cal.CycleStarts.ShouldBe([Start, day1.PlusDays(5), day1.PlusDays(33)]);
        cal.Days.Where(d => d.Date >= day1 && d.Date < day1.PlusDays(5)).ShouldAllBe(d => d.Kind == DayKind.Held);
        cal.Days.Where(d => d.Cycle == 2).Count(d => d.Kind == DayKind.Dose).ShouldBe(21);
    }

    [Fact]
    public void OpenEndedHold_StopsAllLaterDoses()
    {
        var cal = Pd(3, new Hold(Start.PlusDays(10), null, "discontinued?"));
        cal.DoseDays.Count().ShouldBe(10);
        cal.DoseDays.ShouldAllBe(d => d.Date < Start.PlusDays(10));
    }

    [Fact]
    public void DialysisDay_FlagsTakeAfterDialysis_OnlyOnDoseDays()
    {
        var dialysis = new[] { Start, Start.PlusDays(2), Start.PlusDays(23) };
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 60, 3m, DialysisDays: [.. dialysis]), Start.PlusDays(27));
        cal.Days.Where(d => d.TakeAfterDialysis).Select(d => d.Date).ShouldBe([Start, Start.PlusDays(2)]);
        cal.Basis.Reasons.ShouldContain(r => r.Code == "DIALYSIS_TIMING");
    }

    [Fact]
    public void DpdDaratumumab_Weekly_ThenEvery2Weeks_ThenEvery4Weeks()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-dpd", Start, 60), Start.PlusDays(28 * 8 - 1));
        var dara = cal.Days.Where(d => d.Partners.Any(p => p.Agent == "daratumumab")).ToList();
        dara.Count(d => d.Cycle <= 2).ShouldBe(8);
        dara.Count(d => d.Cycle is >= 3 and <= 6).ShouldBe(8);
        dara.Where(d => d.Cycle >= 7).Select(d => d.CycleDay).ShouldBe([1, 1]);
    }

    [Fact]
    public void IsaPd_Cycle1Weekly_Cycle2Days1And15()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-isapd", Start, 60), Start.PlusDays(55));
        cal.Days.Where(d => d.Partners.Any(p => p.Agent == "isatuximab")).Select(d => (d.Cycle, d.CycleDay))
            .ShouldBe([(1, 1), (1, 8), (1, 15), (1, 22), (2, 1), (2, 15)]);
    }

    [Fact]
    public void R2_StopsAfter12Cycles()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("len-fl-mzl-r2", Start, 60), Start.PlusYears(2));
        cal.Days.Max(d => d.Cycle).ShouldBe(12);
        cal.DoseDays.Count().ShouldBe(12 * 21);
    }

    [Fact]
    public void Pvd_Is21DayCycleWith14DoseDays_AndFlaggedNotInUsLabel()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pvd", Start, 60), Start.PlusDays(20));
        cal.DoseDays.Count().ShouldBe(14);
        cal.Basis.Reasons.ShouldContain(r => r.Code == "REGIMEN_NOT_US_LABEL" && r.Unverified);
    }

    [Fact]
    public void Every48Hours_HalvesTheDoseDays()
    {
        var cal = CycleCalendar.Build(new TreatmentPlan("len-mm-rd", Start, 60, 15m, DoseIntervalDays: 2), Start.PlusDays(27));
        cal.DoseDays.Count().ShouldBe(11);
    }

    [Fact]
    public void Every48Hours_StartsEachCycleOnItsDay1()
    {
        // 21 dosing days give 11 doses in cycle 1 (days 1, 3 … 21); cycle 2 starts again on its Day 1.
        var cal = CycleCalendar.Build(new TreatmentPlan("len-mm-rd", Start, 60, 15m, DoseIntervalDays: 2), Start.PlusDays(55));
        var second = cal.Days.Where(d => d.Cycle == 2 && d.Kind == DayKind.Dose).Select(d => d.CycleDay).ToList();
        second.ShouldBe([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21]);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("")]
    public void UnknownRegimen_IsArgumentException(string id) =>
        Should.Throw<ArgumentException>(() => CycleCalendar.Build(new TreatmentPlan(id, Start, 60), Start));

    [Fact]
    public void BadInputs_AreArgumentExceptions()
    {
        Should.Throw<ArgumentException>(() => CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 60), Start.PlusDays(-1))).ParamName.ShouldBe("through");
        Should.Throw<ArgumentException>(() => CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, 60, Holds: [new Hold(Start, Start, "x")]), Start));
        Should.Throw<ArgumentException>(() => CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", Start, -1), Start));
    }

    // ---- Properties ----

    private static readonly Gen<(int Offset, int Length)> HoldGen =
        Gen.Choose(0, 120).SelectMany(o => Gen.Choose(1, 30), (o, l) => (o, l));

    private static readonly Arbitrary<(int Offset, int Length)[]> HoldsArb = Gen.ArrayOf(HoldGen).Select(a => a.Take(4).ToArray()).ToArbitrary();

    private static TreatmentCalendar WithHolds((int Offset, int Length)[] holds, int cycles = 5) =>
        CycleCalendar.Build(
            new TreatmentPlan("pom-mm-pd", Start, 70, Holds: [.. holds.Select(h => new Hold(Start.PlusDays(h.Offset), Start.PlusDays(h.Offset + h.Length), "p"))]),
            Start.PlusDays(28 * cycles - 1));

    [Fact]
    public void Property_WithoutHolds_EveryPomalidomideCycleHasExactly21DoseDays() =>
        Prop.ForAll(Gen.Choose(1, 24).ToArbitrary(), Gen.Choose(0, 3000).ToArbitrary(), (cycles, offset) =>
        {
            var s = Start.PlusDays(offset);
            var cal = CycleCalendar.Build(new TreatmentPlan("pom-mm-pd", s, 70), s.PlusDays(28 * cycles - 1));
            return cal.Days.GroupBy(d => d.Cycle).All(g => g.Count(d => d.Kind == DayKind.Dose) == 21 && g.Count() == 28);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Property_AHoldNeverCreatesADose() =>
        Prop.ForAll(HoldsArb, holds =>
        {
            var without = WithHolds([]).DoseDays.Select(d => d.Date).ToHashSet();
            var with = WithHolds(holds);
            var heldDates = holds.SelectMany(h => Enumerable.Range(h.Offset, h.Length).Select(i => Start.PlusDays(i))).ToHashSet();
            return with.DoseDays.All(d => !heldDates.Contains(d.Date))
                && with.Days.Where(d => heldDates.Contains(d.Date)).All(d => d.Kind == DayKind.Held)
                && (holds.Any(h => Start.PlusDays(h.Offset) <= Start.PlusDays(28 * 5)) || with.DoseDays.All(d => without.Contains(d.Date)));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Property_ResumingNeverDoublesADose_AndCyclesNeverExceedTheSchedule() =>
        Prop.ForAll(HoldsArb, holds =>
        {
            var cal = WithHolds(holds);
            var oneEntryPerDate = cal.Days.GroupBy(d => d.Date).All(g => g.Count() == 1);
            var perCycle = cal.Days.Where(d => d.Cycle > 0 && d.CycleDay > 0).GroupBy(d => d.Cycle)
                .All(g => g.Count(d => d.Kind == DayKind.Dose) <= 21 && g.Count() <= 28 && g.Where(d => d.Kind == DayKind.Dose).All(d => d.CycleDay <= 21));
            var total = cal.DoseDays.Count() <= 21 * cal.Days.Select(d => d.Cycle).Where(c => c > 0).Distinct().Count();
            var ordered = cal.Days.Zip(cal.Days.Skip(1)).All(p => p.Second.Date == p.First.Date.PlusDays(1));
            return oneEntryPerDate && perCycle && total && ordered;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Property_HeldDosesAreLostNotMadeUp() =>
        Prop.ForAll(HoldsArb, holds =>
        {
            var baseline = WithHolds([]).DoseDays.Count();
            return WithHolds(holds).DoseDays.Count() <= baseline;
        }).QuickCheckThrowOnFailure();
}
