using ImidCare.Rules.Calendar;
using ImidCare.Rules.Therapy;
using NodaTime;
using Shouldly;

namespace ImidCare.Rules.Tests.Therapy;

public class RegimenTests
{
    public static IEnumerable<object[]> Ids => Regimens.All.Select(r => new object[] { r.Id });

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryRegimen_IsConsistent_AndCalendars(string id)
    {
        var r = Regimens.Get(id);
        r.DoseDays.ShouldAllBe(d => d >= 1 && d <= r.CycleLengthDays);
        r.Partners.ShouldAllBe(p => p.Days.All(d => d >= 1 && d <= r.CycleLengthDays));
        var start = new LocalDate(2026, 3, 2);
        var cal = CycleCalendar.Build(new TreatmentPlan(id, start, 60), start.PlusDays(r.CycleLengthDays - 1));
        cal.DoseDays.Count().ShouldBe(r.DoseDays.Length);
        cal.DoseDays.ShouldAllBe(d => d.DoseMg == r.StartDoseMg);
        if (!r.InUsLabel)
        {
            r.Source.Unverified.ShouldBeTrue();
        }
    }

    [Theory]
    [InlineData("pom-mm-pd", 4, 21, 28)]
    [InlineData("pom-ks", 5, 21, 28)]
    [InlineData("len-mm-rd", 25, 21, 28)]
    [InlineData("len-mm-maint", 10, 28, 28)]
    [InlineData("len-mds", 10, 28, 28)]
    [InlineData("len-mcl", 25, 21, 28)]
    [InlineData("len-fl-mzl-r2", 20, 21, 28)]
    [InlineData("thal-mm-td", 200, 28, 28)]
    [InlineData("pom-mm-pvd", 4, 14, 21)]
    public void LabelDoses(string id, int mg, int doseDays, int cycle)
    {
        var r = Regimens.Get(id);
        r.StartDoseMg.ShouldBe(mg);
        r.DoseDays.Length.ShouldBe(doseDays);
        r.CycleLengthDays.ShouldBe(cycle);
    }

    [Fact]
    public void PvdAndKpd_AreNotInAUsLabel()
    {
        Regimens.All.Where(r => !r.InUsLabel).Select(r => r.Id).ShouldBe(["pom-mm-pvd", "pom-mm-kpd"], ignoreOrder: true);
        Regimens.PVd.AsReason().Code.ShouldBe("REGIMEN_NOT_US_LABEL");
    }

    [Theory]
    [InlineData(3, true, false)]
    [InlineData(4, true, true)]
    [InlineData(4, false, false)]
    public void Maintenance_15MgStep_AfterThreeCycles(int cycle, bool tolerated, bool eligible) =>
        Regimens.MaintenanceStep.EligibleAtCycle(cycle, tolerated).ShouldBe(eligible);

    [Fact]
    public void YearAhead_ProducesCalendarAndMonitoring_AndSyntheticBatchRuns()
    {
        var plan = TherapyPlanner.YearAhead(new TreatmentPlan("pom-mm-pd", new LocalDate(2026, 1, 1), 70));
        plan.Calendar.Through.ShouldBe(new LocalDate(2026, 12, 31));
        plan.Calendar.DoseDays.Count().ShouldBe((13 * 21) + 1, "13 full cycles plus day 1 of cycle 14");
        plan.Monitoring.ShouldContain(i => i.Kind == "CBC");
        var inputs = BenchmarkInput.SyntheticPatients(500, new LocalDate(2026, 1, 1));
        static string Key(PatientPlanInput p) => $"{p.Plan.RegimenId}|{p.Plan.Start}|{p.Plan.AgeYears}|{string.Join(';', p.Plan.Holds.Select(h => $"{h.From}-{h.ResumeOn}"))}";
        BenchmarkInput.SyntheticPatients(500, new LocalDate(2026, 1, 1)).Select(Key).ShouldBe(inputs.Select(Key), "deterministic for a seed");
        BenchmarkInput.RunYearAhead(inputs).ShouldBeGreaterThan(0);
    }
}
